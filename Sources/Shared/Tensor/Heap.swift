import CBLAS

/// Freed blocks up to 256 MiB stay in the heap for the next allocation instead of
/// going back to the kernel. A loop that makes and drops matrices of a few MB (a
/// projection try, a training step's temporaries) otherwise pays a page fault and
/// a zeroed page per use. Called once by ToolMain, before any work.
public func keepFreedMemory() {
    dl_keep_freed_memory(256 << 20, 512 << 20)
}
