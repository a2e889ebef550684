// Package fakegithub is a stateful, in-memory fake of GitHub's REST API for
// tests and measurements: tests point the real go-github client at it (or
// the bot, the Action, a deployment) and assert on what it recorded.
//
// It is test support, and the sandbox GitHub of `shipgate demo`
// (internal/sandbox); the server's production code must never import it.
// It takes a [TB], not package testing, and fails the test (or the TB) it
// was given for unexpected requests and for requests GitHub would reject.
//
// What it owns:
//   - a GitHub under a non-root base path ("/api/v3/", as GitHub Enterprise
//     Server has), so absolute-URL mistakes fail; state is set up with Go
//     methods ([Server.AddPR], [Server.SetFile], [Server.SetPermission], …)
//     and changed by API calls;
//   - exact, method-checked routes; any other request is answered 404 and
//     fails the test when it ends;
//   - GitHub's response shapes, Link pagination, rate-limit headers and
//     ETags (a matching If-None-Match answers 304, not charged);
//   - a record of every request and readable effect lists in the style of
//     prow's fakegithub ("acme/widgets#42:do-not-merge/hold");
//   - fault injection (502, hang, secondary and primary rate limits), per
//     route or for a seeded share of requests;
//   - conformance checking of every request against GitHub's official REST
//     API description (see [New]);
//   - signed webhook deliveries and payload builders from its state.
//
// The only package-level state is the parsed API description, loaded once
// per test process.
package fakegithub
