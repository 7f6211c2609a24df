import XCTest
import Foundation
import Shared

final class ThreadTeamTests: XCTestCase {
    /// Runs `body` on another thread and fails (instead of hanging) if it has not
    /// finished within `seconds`: a lost wake-up shows up as a failure.
    func finishes(within seconds: Double, _ what: String, _ body: @escaping @Sendable () throws -> Void) {
        let done = expectation(description: what)
        Thread.detachNewThread {
            do { try body() } catch { XCTFail("\(what): \(error)") }
            done.fulfill()
        }
        wait(for: [done], timeout: seconds)
    }

    func testEveryMemberRunsEveryJobOnce() {
        for size in [1, 2, 3, 5] {  // 5: more members than this machine's cores, so helpers sleep at once
            finishes(within: 60, "team of \(size)") {
                let team = try ThreadTeam(size: size)
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: size)
                counts.initialize(repeating: 0, count: size)
                defer { counts.deallocate() }
                for job in 0..<20_000 {
                    team.run { m in
                        XCTAssertEqual(counts[m], job)
                        counts[m] += 1
                    }
                }
                XCTAssertEqual((0..<size).map { counts[$0] }, [Int](repeating: 20_000, count: size), "size \(size)")
            }
        }
    }

    /// A job published before a helper thread first runs, and jobs after the
    /// helpers went to sleep, still run; dropping a team stops its threads.
    func testNoLostJobsAroundStartAndSleep() {
        finishes(within: 60, "fresh teams") {
            for _ in 0..<300 {
                let team = try ThreadTeam(size: 2)
                let hits = UnsafeMutablePointer<Int>.allocate(capacity: 2)
                hits.initialize(repeating: 0, count: 2)
                team.run { hits[$0] += 1 }
                XCTAssertEqual(hits[0] + hits[1], 2)
                hits.deallocate()
            }
        }
        finishes(within: 60, "sleeping helpers") {
            let team = try ThreadTeam(size: 2, spinSeconds: 0.0001)
            var total = 0
            let lock = NSLock()
            for _ in 0..<50 {
                usleep(2000)  // longer than the spin: the helper is asleep when the job comes
                team.run { _ in lock.lock(); total += 1; lock.unlock() }
            }
            XCTAssertEqual(total, 100)
        }
    }
}
