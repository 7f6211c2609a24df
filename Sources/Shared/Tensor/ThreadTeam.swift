import CBLAS
import Foundation
import Synchronization

/// A fixed team of threads that run one closure together, many times a second.
///
/// Training runs two parallel phases per mini-batch, under a millisecond each.
/// Handing them to GCD (`concurrentPerform`) woke a pooled thread through the
/// kernel every time, ~5% of the training time in scheduler calls. The team's
/// helpers instead spin for a while after each job, so the next one starts at
/// once, and only sleep on a condition variable when none comes. The calling
/// thread is member 0: a team of n members has n − 1 helper threads.
///
/// Spinning assumes a core per member; with more members than cores the
/// helpers go to sleep at once instead.
public final class ThreadTeam: @unchecked Sendable {
    public var size: Int { state.size }
    private let state: TeamState
    private var threads: [pthread_t] = []

    /// Throws when the system refuses a thread (a resource limit).
    public init(size: Int, spinSeconds: Double = 0.002) throws {
        let n = max(1, size)
        state = TeamState(size: n, spinSeconds: n <= ProcessInfo.processInfo.activeProcessorCount ? spinSeconds : 0)
        for member in 1..<n {
            let start = Unmanaged.passRetained(HelperStart(state: state, member: member))
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let start = Unmanaged<HelperStart>.fromOpaque(raw!).takeRetainedValue()
                start.state.helperLoop(start.member)
                return nil
            }, start.toOpaque())
            guard rc == 0 else {
                start.release()
                // deinit stops and joins the helpers already started.
                throw DLError.io("cannot start a thread: \(errnoText(rc))", hint: "use fewer --threads")
            }
            threads.append(thread)
        }
    }

    deinit {
        state.stop()
        for t in threads { pthread_join(t, nil) }
    }

    /// Runs `body(member)` for members 0..<size concurrently; returns when all are
    /// done. (Escaping because helpers hold it while they run; nothing keeps it after.)
    public func run(_ body: @escaping (Int) -> Void) {
        state.run(body)
    }
}

/// What the team's threads share (the helpers hold this, not the team, so that
/// dropping the team stops them).
private final class TeamState: @unchecked Sendable {
    let size: Int
    let spinSeconds: Double
    let generation = Atomic<Int>(0)   // bumped once per job
    let pending = Atomic<Int>(0)      // helpers still on the current job
    let stopping = Atomic<Bool>(false)
    var job: ((Int) -> Void)?         // set before a bump, read by helpers after it
    var sleepers = 0                  // under mutex
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(size: Int, spinSeconds: Double) {
        self.size = size
        self.spinSeconds = spinSeconds
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        wake.deallocate()
    }

    /// Bumps the generation; the mutex makes sure no helper misses the wake-up
    /// between its last check and its wait.
    func publish() {
        pthread_mutex_lock(mutex)
        generation.add(1, ordering: .releasing)
        if sleepers > 0 { pthread_cond_broadcast(wake) }
        pthread_mutex_unlock(mutex)
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        publish()
    }

    func run(_ body: @escaping (Int) -> Void) {
        if size == 1 { body(0); return }
        job = body
        pending.store(size - 1, ordering: .releasing)
        publish()
        body(0)
        var spins = 0
        while pending.load(ordering: .acquiring) > 0 {
            spins += 1
            if spins & 1023 == 0 { sched_yield() } else { dl_cpu_pause() }
        }
        job = nil
    }

    func helperLoop(_ member: Int) {
        var seen = 0  // the generation at creation: a job published before this thread ran is still its to run
        while true {
            var now = generation.load(ordering: .acquiring)
            if now == seen && spinSeconds > 0 {
                let deadline = monotonicSeconds() + spinSeconds
                var spins = 0
                while now == seen {
                    dl_cpu_pause()
                    spins += 1
                    if spins & 255 == 0 && monotonicSeconds() > deadline { break }
                    now = generation.load(ordering: .acquiring)
                }
            }
            if now == seen {
                pthread_mutex_lock(mutex)
                sleepers += 1
                while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(wake, mutex) }
                sleepers -= 1
                pthread_mutex_unlock(mutex)
                now = generation.load(ordering: .acquiring)
            }
            if stopping.load(ordering: .acquiring) { return }
            seen = now
            job?(member)
            pending.subtract(1, ordering: .releasing)
        }
    }
}

private final class HelperStart {
    let state: TeamState
    let member: Int
    init(state: TeamState, member: Int) { self.state = state; self.member = member }
}
