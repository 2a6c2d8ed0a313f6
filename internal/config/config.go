// Package config defines every govchat setting once: its environment
// variable, its flag, its default and its meaning. Commands read the
// environment, then let flags override it. The README's configuration table
// is generated from the same list (see TestReadmeListsEverySetting).
package config

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is every setting, parsed once in cmd and passed down.
type Config struct {
	DatabaseURL     string
	DatabaseReadURL string
	DBSchema        string
	DBMaxConns      int
	LogLevel        string
	LogFormat       string

	Embedder             string // local, lexical or openai
	VectorsFile          string
	OpenAIAPIKey         string
	OpenAIBaseURL        string
	OpenAIAPIType        string // openai or azure
	AzureAPIVersion      string
	EmbeddingModel       string
	EmbeddingDimensions  int
	Composer             string // auto, offline or llm
	ChatModel            string
	LLMTimeout           time.Duration
	LLMFirstTokenTimeout time.Duration
	LLMChecks            bool // jailbreak classifier and question rewriting by the LLM
	JudgeModel           string
	JudgeBaseURL         string
	JudgeAPIKey          string

	ChunkMaxTokens int
	AllowSchemas   []string

	TopK           int
	EfSearch       int
	MaxPerPage     int
	PageChunks     int
	DocTypeWeights string
	MinVectorScore float64
	MinTextScore   float64

	Addr             string
	AdminToken       string
	DifyAPIKey       string
	AllowedOrigins   []string
	MaxQuestionChars int
	MaxMessageBytes  int
	MaxConnections   int
	RatePerIP        float64 // questions a minute
	RatePerConv      float64
	Retention        time.Duration
	ShutdownTimeout  time.Duration
	WebDir           string
	ForbiddenTerms   []string
	TrustProxy       bool

	MaxConnsPerIP     int
	MaxHTTPConns      int
	ReadTimeout       time.Duration
	WSIdleTimeout     time.Duration
	AdminFailures     float64 // failed admin tokens a minute from one address
	KillSwitchTimeout time.Duration
	AdminQueryTimeout time.Duration
}

// Setting describes one configuration value.
type Setting struct {
	Env     string
	Flag    string
	Default string
	Usage   string
	set     func(c *Config, v string) error
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func integer(p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*p(c) = n
		return nil
	}
}

func float(p func(*Config) *float64) func(*Config, string) error {
	return func(c *Config, v string) error {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
		*p(c) = f
		return nil
	}
}

func duration(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 30s or 2h", v)
		}
		*p(c) = d
		return nil
	}
}

func boolean(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p(c) = b
		return nil
	}
}

func list(p func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		*p(c) = out
		return nil
	}
}

// Settings lists every setting in documentation order.
func Settings() []Setting {
	return []Setting{
		{"DATABASE_URL", "database-url", "", "PostgreSQL with pgvector. `make test` and `make demo` start the dev database and set it.", str(func(c *Config) *string { return &c.DatabaseURL })},
		{"DATABASE_READ_URL", "database-read-url", "", "Optional streaming replica (or a pooler in front of replicas) for searches and index status; writes and conversation history stay on DATABASE_URL (docs/scaling.md).", str(func(c *Config) *string { return &c.DatabaseReadURL })},
		{"GOVCHAT_DB_SCHEMA", "db-schema", "govchat", "Schema that holds govchat's tables.", str(func(c *Config) *string { return &c.DBSchema })},
		{"GOVCHAT_DB_MAX_CONNS", "db-max-conns", "8", "Most connections each process holds to DATABASE_URL, and as many again to DATABASE_READ_URL (docs/scaling.md).", integer(func(c *Config) *int { return &c.DBMaxConns })},
		{"GOVCHAT_LOG_LEVEL", "log-level", "info", "debug, info, warn or error.", str(func(c *Config) *string { return &c.LogLevel })},
		{"GOVCHAT_LOG_FORMAT", "log-format", "text", "text or json.", str(func(c *Config) *string { return &c.LogFormat })},

		{"GOVCHAT_EMBEDDER", "embedder", "local", "local (word vectors + lexical features, no network), lexical (hashed words only) or openai (any OpenAI-compatible /v1/embeddings). Changing it needs `govchat ingest --reembed`.", str(func(c *Config) *string { return &c.Embedder })},
		{"GOVCHAT_VECTORS_FILE", "vectors-file", ".cache/govchat/vectors-100d.bin", "Word-vector file for the local embedder, built by `make vectors`.", str(func(c *Config) *string { return &c.VectorsFile })},
		{"OPENAI_API_KEY", "", "", "API key for the OpenAI-compatible endpoint. Environment only; never logged.", str(func(c *Config) *string { return &c.OpenAIAPIKey })},
		{"OPENAI_BASE_URL", "openai-base-url", "", "OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 for Ollama or a LiteLLM/vLLM proxy. Empty means api.openai.com.", str(func(c *Config) *string { return &c.OpenAIBaseURL })},
		{"GOVCHAT_OPENAI_API_TYPE", "openai-api-type", "openai", "openai or azure (Azure OpenAI: OPENAI_BASE_URL is the resource endpoint, models are deployment names).", str(func(c *Config) *string { return &c.OpenAIAPIType })},
		{"GOVCHAT_AZURE_API_VERSION", "azure-api-version", "2024-06-01", "Azure OpenAI API version.", str(func(c *Config) *string { return &c.AzureAPIVersion })},
		{"GOVCHAT_EMBEDDING_MODEL", "embedding-model", "text-embedding-3-small", "Embedding model when GOVCHAT_EMBEDDER=openai.", str(func(c *Config) *string { return &c.EmbeddingModel })},
		{"GOVCHAT_EMBEDDING_DIMENSIONS", "embedding-dimensions", "0", "Requested embedding dimensions (0: the model's own, learned from its first response).", integer(func(c *Config) *int { return &c.EmbeddingDimensions })},
		{"GOVCHAT_COMPOSER", "composer", "auto", "offline (extractive, no LLM), llm, or auto (llm when OPENAI_API_KEY or OPENAI_BASE_URL is set).", str(func(c *Config) *string { return &c.Composer })},
		{"GOVCHAT_CHAT_MODEL", "chat-model", "gpt-4o-mini", "Chat model for answers and checks when the composer is llm.", str(func(c *Config) *string { return &c.ChatModel })},
		{"GOVCHAT_LLM_TIMEOUT", "llm-timeout", "30s", "Longest an answer from the LLM may take before the fallback answer.", duration(func(c *Config) *time.Duration { return &c.LLMTimeout })},
		{"GOVCHAT_LLM_FIRST_TOKEN_TIMEOUT", "llm-first-token-timeout", "10s", "Longest wait for the LLM's first token.", duration(func(c *Config) *time.Duration { return &c.LLMFirstTokenTimeout })},
		{"GOVCHAT_LLM_CHECKS", "llm-checks", "true", "With an LLM configured, also use it to check for jailbreaks and to rewrite follow-up questions.", boolean(func(c *Config) *bool { return &c.LLMChecks })},
		{"GOVCHAT_JUDGE_MODEL", "judge-model", "", "Chat model of the LLM judge (`govchat eval --judge`); empty means GOVCHAT_CHAT_MODEL.", str(func(c *Config) *string { return &c.JudgeModel })},
		{"GOVCHAT_JUDGE_BASE_URL", "judge-base-url", "", "OpenAI-compatible endpoint of the LLM judge; empty means OPENAI_BASE_URL.", str(func(c *Config) *string { return &c.JudgeBaseURL })},
		{"GOVCHAT_JUDGE_API_KEY", "", "", "API key of the LLM judge's endpoint; empty means OPENAI_API_KEY. Environment only; never logged.", str(func(c *Config) *string { return &c.JudgeAPIKey })},

		{"GOVCHAT_CHUNK_MAX_TOKENS", "chunk-max-tokens", "350", "Largest chunk, in approximate tokens.", integer(func(c *Config) *int { return &c.ChunkMaxTokens })},
		{"GOVCHAT_ALLOW_SCHEMAS", "allow-schemas", "", "Comma-separated GOV.UK schemas to index; empty means the built-in list (docs/ingest-schemas.md).", list(func(c *Config) *[]string { return &c.AllowSchemas })},

		{"GOVCHAT_TOP_K", "top-k", "6", "Passages given to the composer.", integer(func(c *Config) *int { return &c.TopK })},
		{"GOVCHAT_EF_SEARCH", "ef-search", "200", "hnsw.ef_search for each query.", integer(func(c *Config) *int { return &c.EfSearch })},
		{"GOVCHAT_MAX_PER_PAGE", "max-per-page", "2", "Most passages from one page.", integer(func(c *Config) *int { return &c.MaxPerPage })},
		{"GOVCHAT_PAGE_CHUNKS", "page-chunks", "8", "Sections read from each of the best two pages after the ranked passages, so an answer can use the rest of those pages (docs/retrieval.md); 0 turns it off.", integer(func(c *Config) *int { return &c.PageChunks })},
		{"GOVCHAT_DOC_TYPE_WEIGHTS", "doc-type-weights", "", "Overrides of document-type weights, e.g. `guide=2,news_story=0.5`.", str(func(c *Config) *string { return &c.DocTypeWeights })},
		{"GOVCHAT_MIN_VECTOR_SCORE", "min-vector-score", "-1", "\"No content\" floor: best cosine similarity needed when full-text is weak; -1 uses the floor calibrated for the index's embedding space (docs/retrieval.md).", float(func(c *Config) *float64 { return &c.MinVectorScore })},
		{"GOVCHAT_MIN_TEXT_SCORE", "min-text-score", "-1", "\"No content\" floor: full-text strength that alone counts as a match; -1 uses the embedding space's calibrated floor.", float(func(c *Config) *float64 { return &c.MinTextScore })},

		{"GOVCHAT_ADDR", "addr", "127.0.0.1:8080", "Address `govchat serve` listens on.", str(func(c *Config) *string { return &c.Addr })},
		{"GOVCHAT_DIFY_API_KEY", "", "", "Bearer token Dify sends to POST /dify/retrieval (its External Knowledge API); empty turns the endpoint off. Environment only; never logged.", str(func(c *Config) *string { return &c.DifyAPIKey })},
		{"GOVCHAT_ADMIN_TOKEN", "", "", "Bearer token for /admin endpoints and the console's sign-in; empty disables them. Environment only; never logged.", str(func(c *Config) *string { return &c.AdminToken })},
		{"GOVCHAT_ALLOWED_ORIGINS", "allowed-origins", "", "Extra websocket origins allowed besides the page's own, comma-separated (e.g. https://www.example.gov.uk).", list(func(c *Config) *[]string { return &c.AllowedOrigins })},
		{"GOVCHAT_MAX_QUESTION_CHARS", "max-question-chars", "300", "Longest question, in characters.", integer(func(c *Config) *int { return &c.MaxQuestionChars })},
		{"GOVCHAT_MAX_MESSAGE_BYTES", "max-message-bytes", "8192", "Largest websocket message a client may send.", integer(func(c *Config) *int { return &c.MaxMessageBytes })},
		{"GOVCHAT_MAX_CONNECTIONS", "max-connections", "10000", "Most open websocket connections.", integer(func(c *Config) *int { return &c.MaxConnections })},
		{"GOVCHAT_MAX_CONNECTIONS_PER_IP", "max-connections-per-ip", "50", "Most open websocket connections from one IPv4 address or IPv6 /64 (on each instance).", integer(func(c *Config) *int { return &c.MaxConnsPerIP })},
		{"GOVCHAT_MAX_HTTP_CONNECTIONS", "max-http-connections", "12000", "Most open TCP connections of every kind, websockets included; more wait to be accepted. Keep it below the open-file limit.", integer(func(c *Config) *int { return &c.MaxHTTPConns })},
		{"GOVCHAT_READ_TIMEOUT", "read-timeout", "15s", "Longest time to read a request's headers and body (the form, feedback, admin); a slower client is cut off.", duration(func(c *Config) *time.Duration { return &c.ReadTimeout })},
		{"GOVCHAT_WS_IDLE_TIMEOUT", "ws-idle-timeout", "10m", "A websocket that has asked nothing for this long is closed.", duration(func(c *Config) *time.Duration { return &c.WSIdleTimeout })},
		{"GOVCHAT_RATE_PER_IP", "rate-per-ip", "20", "Questions a minute from one IP address (burst of the same size).", float(func(c *Config) *float64 { return &c.RatePerIP })},
		{"GOVCHAT_RATE_PER_CONVERSATION", "rate-per-conversation", "10", "Questions a minute in one conversation.", float(func(c *Config) *float64 { return &c.RatePerConv })},
		{"GOVCHAT_ADMIN_FAILURES_PER_MINUTE", "admin-failures-per-minute", "5", "Failed admin tokens a minute from one address (burst of the same size) before /admin answers 429.", float(func(c *Config) *float64 { return &c.AdminFailures })},
		{"GOVCHAT_KILL_SWITCH_TIMEOUT", "kill-switch-timeout", "1s", "Longest wait for the kill switch setting; on timeout the last known value is kept.", duration(func(c *Config) *time.Duration { return &c.KillSwitchTimeout })},
		{"GOVCHAT_ADMIN_QUERY_TIMEOUT", "admin-query-timeout", "10s", "Longest time one admin or console database query may take; a slower one ends with a 503 error.", duration(func(c *Config) *time.Duration { return &c.AdminQueryTimeout })},
		{"GOVCHAT_RETENTION", "retention", "2160h", "How long conversations are kept (default 90 days).", duration(func(c *Config) *time.Duration { return &c.Retention })},
		{"GOVCHAT_SHUTDOWN_TIMEOUT", "shutdown-timeout", "30s", "How long shutdown waits for answers in progress.", duration(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
		{"GOVCHAT_WEB_DIR", "web-dir", "web/dist", "Built front-end assets (govuk-frontend), made by `make web`.", str(func(c *Config) *string { return &c.WebDir })},
		{"GOVCHAT_FORBIDDEN_TERMS", "forbidden-terms", "", "Comma-separated words an answer must never contain (whole-word match).", list(func(c *Config) *[]string { return &c.ForbiddenTerms })},
		{"GOVCHAT_TRUST_PROXY", "trust-proxy", "false", "Take the client IP from X-Forwarded-For (only behind a trusted proxy).", boolean(func(c *Config) *bool { return &c.TrustProxy })},
	}
}

// Load reads the defaults, then the environment (lookup, usually
// os.LookupEnv), then the flags already parsed into fs (only those set).
func Load(lookup func(string) (string, bool), fs *flag.FlagSet) (Config, error) {
	var c Config
	var errs []error
	explicit := map[string]string{}
	if fs != nil {
		fs.Visit(func(f *flag.Flag) { explicit[f.Name] = f.Value.String() })
	}
	for _, s := range Settings() {
		v, source := s.Default, "default"
		if e, ok := lookup(s.Env); ok {
			v, source = e, s.Env
		}
		if f, ok := explicit[s.Flag]; ok {
			v, source = f, "--"+s.Flag
		}
		if err := s.set(&c, v); err != nil {
			errs = append(errs, fmt.Errorf("config: %s: %w", source, err))
		}
	}
	if err := c.validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// RegisterFlags adds a flag for each named setting to fs, so a subcommand
// offers only the settings it uses. Values are read back by Load.
func RegisterFlags(fs *flag.FlagSet, names ...string) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, s := range Settings() {
		if want[s.Flag] {
			fs.String(s.Flag, s.Default, s.Usage+" (env "+s.Env+")")
		}
	}
}

func (c Config) validate() error {
	errs := []error{
		oneOf("GOVCHAT_EMBEDDER", c.Embedder, "local", "lexical", "openai"),
		oneOf("GOVCHAT_COMPOSER", c.Composer, "auto", "offline", "llm"),
		oneOf("GOVCHAT_OPENAI_API_TYPE", c.OpenAIAPIType, "openai", "azure"),
		oneOf("GOVCHAT_LOG_FORMAT", c.LogFormat, "text", "json"),
		oneOf("GOVCHAT_LOG_LEVEL", c.LogLevel, "debug", "info", "warn", "error"),
	}
	errs = append(errs, c.limitErrors()...)
	if c.Embedder == "openai" && c.OpenAIAPIKey == "" && c.OpenAIBaseURL == "" {
		errs = append(errs, errors.New("config: GOVCHAT_EMBEDDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL"))
	}
	if c.Composer == "llm" && c.OpenAIAPIKey == "" && c.OpenAIBaseURL == "" {
		errs = append(errs, errors.New("config: GOVCHAT_COMPOSER=llm needs OPENAI_API_KEY or OPENAI_BASE_URL"))
	}
	return errors.Join(errs...)
}

// oneOf is an error naming the setting unless v is one of ok.
func oneOf(name, v string, ok ...string) error {
	if slices.Contains(ok, v) {
		return nil
	}
	return fmt.Errorf("config: %s is %q; want one of %s", name, v, strings.Join(ok, ", "))
}

// limitErrors checks the numbers and durations that must be positive or
// within bounds.
func (c Config) limitErrors() []error {
	var errs []error
	positive := map[string]int{
		"GOVCHAT_MAX_QUESTION_CHARS": c.MaxQuestionChars, "GOVCHAT_MAX_MESSAGE_BYTES": c.MaxMessageBytes,
		"GOVCHAT_MAX_CONNECTIONS": c.MaxConnections, "GOVCHAT_TOP_K": c.TopK, "GOVCHAT_CHUNK_MAX_TOKENS": c.ChunkMaxTokens,
		"GOVCHAT_MAX_PER_PAGE": c.MaxPerPage, "GOVCHAT_MAX_CONNECTIONS_PER_IP": c.MaxConnsPerIP,
		"GOVCHAT_MAX_HTTP_CONNECTIONS": c.MaxHTTPConns, "GOVCHAT_DB_MAX_CONNS": c.DBMaxConns,
	}
	for _, n := range slices.Sorted(maps.Keys(positive)) {
		if positive[n] <= 0 {
			errs = append(errs, fmt.Errorf("config: %s must be above 0", n))
		}
	}
	if c.PageChunks < 0 || c.PageChunks > 50 {
		errs = append(errs, errors.New("config: GOVCHAT_PAGE_CHUNKS must be from 0 to 50"))
	}
	if c.DBMaxConns > 1000 {
		errs = append(errs, errors.New("config: GOVCHAT_DB_MAX_CONNS must be at most 1000"))
	}
	if c.RatePerIP <= 0 || c.RatePerConv <= 0 {
		errs = append(errs, errors.New("config: GOVCHAT_RATE_PER_IP and GOVCHAT_RATE_PER_CONVERSATION must be above 0"))
	}
	if c.MaxHTTPConns < c.MaxConnections {
		errs = append(errs, errors.New("config: GOVCHAT_MAX_HTTP_CONNECTIONS must be at least GOVCHAT_MAX_CONNECTIONS: websockets count against it"))
	}
	if c.AdminFailures <= 0 {
		errs = append(errs, errors.New("config: GOVCHAT_ADMIN_FAILURES_PER_MINUTE must be above 0"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"GOVCHAT_READ_TIMEOUT", c.ReadTimeout}, {"GOVCHAT_WS_IDLE_TIMEOUT", c.WSIdleTimeout},
		{"GOVCHAT_KILL_SWITCH_TIMEOUT", c.KillSwitchTimeout}, {"GOVCHAT_ADMIN_QUERY_TIMEOUT", c.AdminQueryTimeout}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("config: %s must be above 0", d.name))
		}
	}
	return errs
}

// UseLLM reports whether answers are composed by an LLM.
func (c Config) UseLLM() bool {
	switch c.Composer {
	case "llm":
		return true
	case "auto":
		return c.OpenAIAPIKey != "" || c.OpenAIBaseURL != ""
	}
	return false
}

// MarkdownTable renders the settings as the README's configuration table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Environment variable | Flag | Default | Meaning |\n|---|---|---|---|\n")
	for _, s := range Settings() {
		def := s.Default
		if def == "" {
			def = "(empty)"
		}
		fl := "`--" + s.Flag + "`"
		if s.Flag == "" {
			fl = "(none: a secret)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", s.Env, fl, def, strings.ReplaceAll(s.Usage, "|", "\\|"))
	}
	return b.String()
}
