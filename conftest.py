"""Root pytest configuration: a skipped test fails the run (a skipped suite never
passes)."""


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        reporter.write_line(
            f"FAILED: {len(skipped)} test(s) skipped; every test must run.", red=True
        )
        session.exitstatus = 1
