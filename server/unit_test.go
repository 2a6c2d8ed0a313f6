package server

import (
	"errors"
	"net/http"
	"testing"
)

func TestDecodeClientMessage(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ClientMessage
		code string
	}{
		{`{"type":"ask","id":"a","question":"Hi","conversation_id":"abc_DEF-1"}`, ClientMessage{Type: "ask", ID: "a", Question: "Hi", ConversationID: "abc_DEF-1"}, ""},
		{`{"type":"ask","question":"","conversation_id":""}`, ClientMessage{Type: "ask"}, ""},
		{`{"type":"feedback","message_id":"m1","useful":false,"comment":"ok"}`, ClientMessage{Type: "feedback", MessageID: "m1", Comment: "ok"}, ""},
		{`{"type":"cancel"}`, ClientMessage{Type: "cancel"}, ""},
		{`  {"type":"cancel","message_id":"m1","new_field":[1,2]}`, ClientMessage{Type: "cancel", MessageID: "m1"}, ""},
		{`{"type":"ask","question":"12345"}`, ClientMessage{Type: "ask", Question: "12345"}, ""},
		{`{"type":"ask","question":"123456"}`, ClientMessage{}, CodeTooLarge},
		{`{"type":"ask","question":"ééééé"}`, ClientMessage{Type: "ask", Question: "ééééé"}, ""},
		{"\xff", ClientMessage{}, CodeInvalidMessage},
		{`null`, ClientMessage{}, CodeInvalidMessage},
		{`{"type":null}`, ClientMessage{}, CodeInvalidMessage},
		{`{"type":"cancel","message_id":"a b"}`, ClientMessage{}, CodeInvalidMessage},
		{`{"type":"feedback","useful":true}`, ClientMessage{}, CodeInvalidMessage},
		{`{"type":"ask","question":"x","id":"` + string(make([]byte, 200)) + `"}`, ClientMessage{}, CodeInvalidMessage},
	} {
		got, err := DecodeClientMessage([]byte(tc.in), 5)
		var de *DecodeError
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("DecodeClientMessage(%q) error %v; want %+v", tc.in, err, tc.want)
		case tc.code != "" && (!errors.As(err, &de) || de.Code != tc.code):
			t.Errorf("DecodeClientMessage(%q) error %v; want code %s", tc.in, err, tc.code)
		case tc.code == "" && got != tc.want:
			t.Errorf("DecodeClientMessage(%q) = %+v; want %+v", tc.in, got, tc.want)
		}
	}
}

func FuzzDecodeClientMessage(f *testing.F) {
	for _, s := range []string{`{"type":"ask","id":"a","question":"Hi"}`, `{"type":"feedback","message_id":"m","useful":true,"comment":"c"}`,
		`{"type":"cancel"}`, `[]`, `{"type":7}`, "\xff{"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeClientMessage(data, 300)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Code == "" {
				t.Fatalf("error %v is not a *DecodeError with a code", err)
			}
			return
		}
		switch m.Type {
		case "ask", "feedback", "cancel":
		default:
			t.Fatalf("accepted type %q", m.Type)
		}
		if m.ConversationID != "" && !ValidID(m.ConversationID) || m.MessageID != "" && !ValidID(m.MessageID) {
			t.Fatalf("accepted a bad id: %+v", m)
		}
		if len(m.ID) > maxClientRef {
			t.Fatalf("accepted an id of %d bytes", len(m.ID))
		}
	})
}

func TestIPKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"not-an-ip", "not-an-ip"},
	} {
		if got := ipKey(tc.in); got != tc.want {
			t.Errorf("ipKey(%s) = %s; want %s", tc.in, got, tc.want)
		}
	}
}

func TestClientIP(t *testing.T) {
	for _, tc := range []struct {
		remote, xff string
		trust       bool
		want        string
	}{
		{"192.0.2.1:5000", "", false, "192.0.2.1"},
		{"192.0.2.1:5000", "203.0.113.9", false, "192.0.2.1"},
		{"192.0.2.1:5000", "198.51.100.7, 203.0.113.9", true, "203.0.113.9"},
		{"192.0.2.1:5000", "not-an-ip", true, "192.0.2.1"},
		{"[2001:db8::1]:443", "", false, "2001:db8::1"},
	} {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientIP(r, tc.trust); got != tc.want {
			t.Errorf("clientIP(%s, xff %q, trust %v) = %s; want %s", tc.remote, tc.xff, tc.trust, got, tc.want)
		}
	}
}
