// Command hostileclients plays the slow and greedy clients of
// docs/reliability.md section 4 against a govchat server on this machine
// and prints what the server did, one line per run. Loopback only.
//
//	go run ./tools/hostileclients -mode slowpost -n 3000 -pid PID -wait 60s
//	go run ./tools/hostileclients -mode form -n 100
//	go run ./tools/hostileclients -mode feedback -n 1000
//	go run ./tools/hostileclients -mode admin -n 30 -token RIGHT
//	go run ./tools/hostileclients -mode wscap -n 500
//	go run ./tools/hostileclients -mode idle -n 1000 -wait 40s
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	mode := flag.String("mode", "", "slowpost, form, feedback, admin, wscap or idle")
	addr := flag.String("addr", "127.0.0.1:8080", "host:port of the server (loopback only)")
	n := flag.Int("n", 100, "how many connections, posts or frames")
	pid := flag.Int("pid", 0, "the server's process id, to read its resident memory (slowpost)")
	wait := flag.Duration("wait", time.Minute, "how long to watch (slowpost, idle)")
	token := flag.String("token", "", "the right admin token, tried after the wrong ones (admin)")
	flag.Parse()
	if err := checkLoopback(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "hostileclients:", err)
		os.Exit(2)
	}
	c := client{addr: *addr}
	var err error
	switch *mode {
	case "slowpost":
		err = c.slowPost(*n, *pid, *wait)
	case "form":
		err = c.form(*n)
	case "feedback":
		err = c.feedback(*n)
	case "admin":
		err = c.admin(*n, *token)
	case "wscap":
		c.wsCap(*n)
	case "idle":
		c.idle(*n, *wait)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostileclients:", err)
		os.Exit(1)
	}
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("refusing %q: not a loopback address", host)
	}
	return nil
}

type client struct{ addr string }

// rssMiB reads VmRSS of a process from /proc.
func rssMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb float64
			_, _ = fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// slowPost opens n connections that send a form post's headers and never
// its body, and reports how long the server holds them and its memory.
func (c client) slowPost(n, pid int, wait time.Duration) error {
	before := rssMiB(pid)
	start := time.Now()
	closed := make(chan time.Duration, n)
	opened := 0
	for range n {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			continue
		}
		opened++
		fmt.Fprintf(conn, "POST /ask HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nquestion=", c.addr)
		go func() {
			_ = conn.SetReadDeadline(start.Add(wait))
			_, _ = io.Copy(io.Discard, conn)
			closed <- time.Since(start)
			conn.Close()
		}()
	}
	time.Sleep(2 * time.Second)
	during := rssMiB(pid)
	var last time.Duration
	held := 0
	for range opened {
		d := <-closed
		if d >= wait {
			held++
		}
		last = max(last, d)
	}
	fmt.Printf("slowpost: %d opened; server RSS %.1f MiB before, %.1f MiB 2 s later; last closed after %.1f s; %d still open after %s\n",
		opened, before, during, last.Seconds(), held, wait)
	return nil
}

func (c client) form(n int) error {
	counts := map[int]int{}
	for range n {
		resp, err := http.PostForm("http://"+c.addr+"/ask", url.Values{"question": {"How do I renew my passport?"}})
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		counts[resp.StatusCode]++
	}
	fmt.Printf("form: %d posts from one address: HTTP status counts %v\n", n, counts)
	return nil
}

func (c client) dial() (*websocket.Conn, error) {
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+c.addr+"/ws", nil)
	if err != nil {
		return nil, err
	}
	var hello map[string]any
	if err := ws.ReadJSON(&hello); err != nil {
		ws.Close()
		return nil, err
	}
	return ws, nil
}

// feedback asks one question, then sends n feedback frames on its answer.
func (c client) feedback(n int) error {
	ws, err := c.dial()
	if err != nil {
		return err
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
	if err := ws.WriteJSON(map[string]string{"type": "ask", "id": "a", "question": "How do I renew my passport?"}); err != nil {
		return err
	}
	msgID := ""
	for msgID == "" {
		var m map[string]any
		if err := ws.ReadJSON(&m); err != nil {
			return err
		}
		if m["type"] == "error" {
			return fmt.Errorf("the question was refused: %v", m)
		}
		if m["type"] == "done" {
			msgID, _ = m["message_id"].(string)
		}
	}
	for range n {
		if err := ws.WriteJSON(map[string]any{"type": "feedback", "message_id": msgID, "useful": true}); err != nil {
			return err
		}
	}
	counts := map[string]int{}
	for range n {
		var m map[string]any
		if err := ws.ReadJSON(&m); err != nil {
			return err
		}
		k, _ := m["type"].(string)
		if code, ok := m["code"].(string); ok {
			k += " " + code
		}
		counts[k]++
	}
	fmt.Printf("feedback: %d frames on one websocket: replies %v\n", n, counts)
	return nil
}

func (c client) adminGet(token string) (int, error) {
	req, err := http.NewRequest("GET", "http://"+c.addr+"/admin/kill-switch", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// admin sends n wrong admin tokens, then the right one.
func (c client) admin(n int, right string) error {
	counts := map[int]int{}
	for range n {
		code, err := c.adminGet("wrong-guess")
		if err != nil {
			return err
		}
		counts[code]++
	}
	code, err := c.adminGet(right)
	if err != nil {
		return err
	}
	fmt.Printf("admin: %d wrong tokens: HTTP status counts %v; then the right token: %d\n", n, counts, code)
	return nil
}

// wsCap opens n websockets from one address and holds them.
func (c client) wsCap(n int) {
	var open []*websocket.Conn
	refused := map[string]int{}
	for range n {
		ws, resp, err := websocket.DefaultDialer.Dial("ws://"+c.addr+"/ws", nil)
		if err != nil {
			k := err.Error()
			if resp != nil {
				k = resp.Status
			}
			refused[k]++
			continue
		}
		open = append(open, ws)
	}
	fmt.Printf("wscap: %d websockets from one address: %d open, refused %v\n", n, len(open), refused)
	for _, ws := range open {
		ws.Close()
	}
}

// idle opens n websockets that never ask and waits for the server to close them.
func (c client) idle(n int, wait time.Duration) {
	start := time.Now()
	done := make(chan string, n)
	for range n {
		ws, err := c.dial()
		if err != nil {
			done <- "dial failed"
			continue
		}
		go func() {
			defer ws.Close()
			_ = ws.SetReadDeadline(start.Add(wait))
			_, _, err := ws.ReadMessage()
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				done <- fmt.Sprintf("closed %d %s", ce.Code, ce.Text)
				return
			}
			done <- "open at the end"
		}()
	}
	counts := map[string]int{}
	var last time.Duration
	for range n {
		counts[<-done]++
		last = time.Since(start)
	}
	fmt.Printf("idle: %d websockets that never ask, watched for %s: %v; last after %.1f s\n", n, wait, counts, last.Seconds())
}
