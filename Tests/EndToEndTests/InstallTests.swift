import XCTest
import Foundation

/// `make install` / `make uninstall` (scripts/install.sh) into a scratch prefix.
final class InstallEndToEndTests: EndToEndCase {
    func testInstallManPagesCompletionsAndExactUninstall() throws {
        let root = Shell.repoRoot
        try XCTSkipUnless(Shell.have("perl"), "perl is not installed")
        try sh("mkdir -p pfx/share/man && touch pfx/share/man/mine")
        let r = try sh("\(root)/scripts/install.sh install $PWD/pfx")
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["bin/dl-fit", "bin/dl-measure", "share/man/man1/dl-fit.1", "share/man/man1/dl-fit.train.1",
                  "share/man/man1/dl-measure.lsd.1", "share/man/man1/dl-data.fashion-mnist.1",
                  "share/bash-completion/completions/dl-kfilter", "share/zsh/site-functions/_dl-data"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/pfx/" + f), f)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/pfx/share/man/man1/dl-fit.help.1"))
        // The installed tool runs; its page keeps the help's non-ASCII text.
        XCTAssertTrue(try sh("pfx/bin/dl-fit --version").out.hasPrefix("dl "))
        let page = try String(contentsOfFile: dir + "/pfx/share/man/man1/dl-fit.train.1", encoding: .utf8)
        XCTAssertTrue(page.contains("α of the exp\\-GA"), page)
        // The examples line by line, the defaults and value lists as --help has them.
        XCTAssertTrue(page.contains("\n  dl\\-data fashion\\-mnist | dl\\-fit \\-\\-arch 784\\-392\\-50\\-10 \\-o model.h5\n"), page)
        XCTAssertTrue(page.contains("(default: 128)"), page)
        XCTAssertTrue(page.contains("(values: sgd, adamw; default: sgd)"), page)
        // The tool's page points at its subcommands' pages, and only at those.
        let top = try String(contentsOfFile: dir + "/pfx/share/man/man1/dl-fit.1", encoding: .utf8)
        XCTAssertTrue(top.hasSuffix(".SH \"SEE ALSO\"\ndl\\-fit.train(1), dl\\-fit.project(1), dl\\-fit.eval(1), dl\\-fit.features(1), dl\\-fit.log(1)\n"), top)
        XCTAssertEqual(try sh("bash -n pfx/share/bash-completion/completions/dl-fit").status, 0)
        let haveMan = Shell.have("man")
        if haveMan {
            let m = try sh("MANPATH=$PWD/pfx/share/man man -w dl-fit")
            XCTAssertEqual(m.out, dir + "/pfx/share/man/man1/dl-fit.1\n", m.stderr)
        }
        // Exactly what was installed goes: the files, the folders install made, the list.
        let u = try sh("\(root)/scripts/install.sh uninstall $PWD/pfx && find pfx | sort")
        XCTAssertEqual(u.status, 0, u.stderr)
        XCTAssertEqual(u.out, "pfx\npfx/share\npfx/share/man\npfx/share/man/mine\n")
        let again = try sh("\(root)/scripts/install.sh uninstall $PWD/pfx")
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("nothing was installed"), again.stderr)
        try XCTSkipUnless(haveMan, "man is not installed: everything but `man -w dl-fit` was checked")
    }
}
