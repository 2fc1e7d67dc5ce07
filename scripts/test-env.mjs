// Preloaded into every test process (scripts/run-tests.mjs). node --test hands its test
// processes FORCE_COLOR=1 when it reports to a terminal, and a developer may have NO_COLOR
// or FORCE_COLOR set: every baton a test starts would inherit them, and colour (or not)
// the output the test reads. Tests about colour set these variables themselves.
delete process.env.FORCE_COLOR;
delete process.env.NO_COLOR;
