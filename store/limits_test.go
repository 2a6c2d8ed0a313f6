package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govchat/govchat/store/storetest"
)

func TestTakeTokenSharedBucket(t *testing.T) {
	ctx, s := newStore(t)
	// A burst of 5 that refills at one token an hour: 20 takers at once
	// get exactly 5 between them.
	var got atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			ok, _, err := s.TakeToken(ctx, "ip:192.0.2.1", 5, 1.0/3600)
			if err != nil {
				t.Error(err)
			}
			if ok {
				got.Add(1)
			}
		})
	}
	wg.Wait()
	if got.Load() != 5 {
		t.Errorf("tokens taken = %d; want 5", got.Load())
	}
	ok, wait, err := s.TakeToken(ctx, "ip:192.0.2.1", 5, 1.0/3600)
	if err != nil || ok {
		t.Fatalf("TakeToken() on an empty bucket = %v, %v; want false", ok, err)
	}
	if wait <= 50*time.Minute || wait > time.Hour {
		t.Errorf("wait = %s; want just under an hour", wait)
	}
	if err := s.ReturnToken(ctx, "ip:192.0.2.1", 5); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.TakeToken(ctx, "ip:192.0.2.1", 5, 1.0/3600); !ok {
		t.Error("the returned token could not be taken again")
	}
	// Another key has its own bucket.
	if ok, _, err := s.TakeToken(ctx, "ip:192.0.2.2", 5, 1.0/3600); err != nil || !ok {
		t.Errorf("TakeToken() on another key = %v, %v; want true", ok, err)
	}
	// A fast refill brings a token back.
	if ok, _, _ := s.TakeToken(ctx, "fast", 1, 1000); !ok {
		t.Fatal("first take refused")
	}
	time.Sleep(20 * time.Millisecond)
	if ok, _, _ := s.TakeToken(ctx, "fast", 1, 1000); !ok {
		t.Error("take after the refill refused")
	}
}

func TestClaimConversation(t *testing.T) {
	ctx, s := newStore(t)
	if ok, err := s.ClaimConversation(ctx, "c1", "a", time.Minute); err != nil || !ok {
		t.Fatalf("first claim = %v, %v; want true", ok, err)
	}
	if ok, _ := s.ClaimConversation(ctx, "c1", "b", time.Minute); ok {
		t.Error("second claim while the first holds = true")
	}
	if err := s.ReleaseConversation(ctx, "c1", "b"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimConversation(ctx, "c1", "b", time.Minute); ok {
		t.Error("another holder's release freed the claim")
	}
	if err := s.ReleaseConversation(ctx, "c1", "a"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimConversation(ctx, "c1", "b", time.Millisecond); !ok {
		t.Error("claim after release = false")
	}
	time.Sleep(20 * time.Millisecond)
	if ok, _ := s.ClaimConversation(ctx, "c1", "c", time.Minute); !ok {
		t.Error("claim after the last one expired = false")
	}
	n, err := s.PurgeLimits(ctx, time.Hour)
	if err != nil || n != 0 {
		t.Errorf("PurgeLimits() = %d, %v; want 0 (nothing idle or expired)", n, err)
	}
}

// The database work the server's door adds to every question: two token
// buckets (the address and the conversation) and a claim taken and
// released. go test ./store -run '^$' -bench Limits
func BenchmarkLimitsPerQuestion(b *testing.B) {
	s := storetest.New(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		conv := fmt.Sprintf("conv-%d", i%500)
		if _, _, err := s.TakeToken(ctx, fmt.Sprintf("ip:192.0.2.%d", i%200), 1e9, 1e9); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.TakeToken(ctx, "conv:"+conv, 1e9, 1e9); err != nil {
			b.Fatal(err)
		}
		if ok, err := s.ClaimConversation(ctx, conv, "h", time.Minute); err != nil || !ok {
			b.Fatal(ok, err)
		}
		if err := s.ReleaseConversation(ctx, conv, "h"); err != nil {
			b.Fatal(err)
		}
	}
}

// One statement of the four, alone.
func BenchmarkTakeToken(b *testing.B) {
	s := storetest.New(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := s.TakeToken(ctx, fmt.Sprintf("ip:192.0.2.%d", i%200), 1e9, 1e9); err != nil {
			b.Fatal(err)
		}
	}
}
