package loadtest

import (
	"bufio"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxSamples bounds the latency samples kept; past it, later asks are
// counted but not timed.
const maxSamples = 1 << 20

// recorder collects a run's counts; every method is safe for concurrent use.
type recorder struct {
	mu       sync.Mutex
	held     int
	maxHeld  int
	asks     int
	errors   map[string]int
	statuses map[string]int
	clean    int
	unclean  int
	firstLat []time.Duration
	doneLat  []time.Duration
}

func newRecorder() *recorder {
	return &recorder{errors: map[string]int{}, statuses: map[string]int{}}
}

func (r *recorder) opened() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held++
	r.maxHeld = max(r.maxHeld, r.held)
}

func (r *recorder) closed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held--
}

func (r *recorder) closedAs(clean bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if clean {
		r.clean++
	} else {
		r.unclean++
	}
}

func (r *recorder) heldNow() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held
}

func (r *recorder) fail(kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors[kind]++
}

func (r *recorder) done(status string, first, total time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asks++
	r.statuses[status]++
	if status == "error" {
		r.errors[ErrStatusError]++
	}
	if len(r.doneLat) < maxSamples {
		r.doneLat = append(r.doneLat, total)
		if first > 0 {
			r.firstLat = append(r.firstLat, first)
		}
	}
}

func (r *recorder) fill(rep *Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep.MaxConnections = r.maxHeld
	rep.Asks = r.asks
	rep.ErrorsByType = map[string]int{}
	for k, v := range r.errors {
		rep.ErrorsByType[k] = v
		rep.Errors += v
	}
	rep.Statuses = map[string]int{}
	for k, v := range r.statuses {
		rep.Statuses[k] = v
	}
	rep.CleanCloses, rep.UncleanCloses = r.clean, r.unclean
	slices.Sort(r.firstLat)
	slices.Sort(r.doneLat)
	rep.P50FirstDeltaMs = percentileMs(r.firstLat, 50)
	rep.P95FirstDeltaMs = percentileMs(r.firstLat, 95)
	rep.P99FirstDeltaMs = percentileMs(r.firstLat, 99)
	rep.P50DoneMs = percentileMs(r.doneLat, 50)
	rep.P95DoneMs = percentileMs(r.doneLat, 95)
	rep.P99DoneMs = percentileMs(r.doneLat, 99)
	rep.MaxDoneMs = percentileMs(r.doneLat, 100)
}

// percentileMs is the nearest-rank percentile of sorted, in milliseconds
// rounded to 0.1; 0 for no samples.
func percentileMs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = min(max(i, 0), len(sorted)-1)
	return math.Round(float64(sorted[i])/float64(time.Millisecond)*10) / 10
}

// processRSS is VmRSS from /proc/PID/status in bytes (PID 0: this process);
// 0 when it cannot be read (another OS, or the process is gone).
func processRSS(pid int) int64 {
	path := "/proc/self/status"
	if pid > 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
