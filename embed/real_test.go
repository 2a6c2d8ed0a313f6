package embed

import (
	"context"
	"fmt"
	"testing"

	"github.com/govchat/govchat/internal/corpustest"
)

// realVectors returns the path of the vector file scripts/vectors.sh builds
// (corpustest: fails in CI when it is missing, skips elsewhere).
func realVectors(tb testing.TB) string {
	tb.Helper()
	return corpustest.VectorsFile(tb)
}

func TestRealVectorsParaphrase(t *testing.T) {
	l, err := NewLocal(realVectors(t))
	if err != nil {
		t.Fatal(err)
	}
	if l.Dimensions() != 256 {
		t.Fatalf("Dimensions() = %d; want 256", l.Dimensions())
	}
	tests := []struct{ query, near, far string }{
		{"my passport runs out soon, can I get a new one", "Renew or replace your adult passport", "Pay your vehicle tax online"},
		{"how much do I get paid when I'm off sick", "Statutory Sick Pay: what you're entitled to", "Apply for a provisional driving licence"},
		{"someone stole two of my cows", "Report lost or stolen cattle to BCMS", "Renew or replace your adult passport"},
		{"where do I send my SA100", "Self Assessment tax return form SA100", "Self Assessment tax return form P60"},
	}
	for _, tt := range tests {
		q, near, far := embedOne(t, l, tt.query), embedOne(t, l, tt.near), embedOne(t, l, tt.far)
		if cos(q, near) <= cos(q, far) {
			t.Errorf("%q: cos(near %q) = %.3f <= cos(far %q) = %.3f", tt.query, tt.near, cos(q, near), tt.far, cos(q, far))
		}
	}
}

// typicalChunks returns 64 chunk-sized texts (about 150 words each).
func typicalChunks() []string {
	base := "Renew or replace your adult passport > How to renew\n\n" +
		"You can renew your passport online or by post. It costs £88.50 online and £100 by post. " +
		"Any time left on your current passport will be added to your new one, up to a maximum of 9 months. " +
		"You need a digital photo, a credit or debit card and your current passport. " +
		"If you live in Wales you can apply in Welsh. Do not book travel until you have a valid passport: " +
		"it usually takes 3 weeks, but can take longer at busy times. HM Passport Office will contact you " +
		"if they need more information. Self Assessment tax returns (SA100) and your P60 are separate matters " +
		"for HMRC. Statutory Sick Pay is paid by your employer for up to 28 weeks. "
	out := make([]string, 64)
	for i := range out {
		out[i] = fmt.Sprintf("%s Section %d of the guide covers case %d.", base, i, i*7)
	}
	return out
}

func BenchmarkLocalEmbed(b *testing.B) {
	l, err := NewLocal(realVectors(b))
	if err != nil {
		b.Fatal(err)
	}
	texts := typicalChunks()
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := l.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "embeddings/s")
}

func BenchmarkLoadVectors(b *testing.B) {
	p := realVectors(b)
	for b.Loop() {
		if _, err := LoadVectors(p); err != nil {
			b.Fatal(err)
		}
	}
}
