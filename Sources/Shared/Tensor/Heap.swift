import CBLAS

// How the tools take memory. Two costs a fit pays besides arithmetic: glibc hands
// blocks back to the kernel on free, so the next one of that size faults its pages
// in again; and a large array's first touch faults once per 4 KiB page (a
// 376 MB Z_1 of Fashion-MNIST: 92,000 faults, a quarter of a one-layer fit's time
// on a VM, measured). Hence: freed blocks below 32 MiB stay in the heap, and
// large arrays ask for 2 MiB pages before they are first written, as numpy's do.

/// Sets the heap's policy; ToolMain calls it once, before any work. False when
/// glibc did not take it (not glibc, or a glibc that refuses the values).
@discardableResult
public func keepFreedMemory() -> Bool {
    dl_keep_freed_memory(32 << 20, 512 << 20) != 0
}

/// Arrays of at least this many bytes get the huge-page advice.
public let hugePageMinimumBytes = 4 << 20

/// `count` values, made by `fill` (which must initialize all of them), in memory
/// advised as transparent huge pages when it is large.
public func largeArray<T>(_ count: Int, _ fill: (UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, n in
        let bytes = count * MemoryLayout<T>.stride
        if bytes >= hugePageMinimumBytes, let base = buffer.baseAddress { _ = dl_advise_huge_pages(base, bytes) }
        fill(buffer)
        n = count
    }
}

/// `count` zeros (or any value), huge-page advised when large.
public func largeArray<T>(repeating value: T, count: Int) -> [T] {
    largeArray(count) { $0.initialize(repeating: value) }
}
