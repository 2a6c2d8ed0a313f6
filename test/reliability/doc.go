// Package reliability holds govchat's fault tests: the database stopping
// mid-conversation, a slow or broken LLM, an ingest killed mid-run, a client
// leaving mid-answer, and hostile content inside indexed pages. They run in
// CI with the other tests (DATABASE_URL names the dev database); see
// docs/reliability.md for the load measurements that are too long for CI.
package reliability
