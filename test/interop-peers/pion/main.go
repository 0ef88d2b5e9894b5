// pion-peer runs the interop scenario of ../PROTOCOL.md with pion/webrtc v3.
//
//	pion-peer --role offer|answer [--mib N] [--timeout S]
//
// Signaling lines come in on stdin and go out on stdout (JSON, one object per line); stdout carries
// nothing else, every log goes to stderr. Exit codes: 0 success (after stdin reaches EOF), 1 failure,
// 2 bad command line, 3 timeout.
//
// Built offline in GOPATH mode against Debian's golang-github-pion-webrtc.v3-dev: see build.sh.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strconv"
	"sync"
	"time"
)

// version is the installed Debian package version of golang-github-pion-webrtc.v3-dev, injected by
// build.sh with -ldflags "-X main.version=...".
var version = "unknown"

const stack = "pion"

// options holds the parsed command line.
type options struct {
	role    string // "offer" or "answer"
	mib     int    // MiB of bulk data this side sends on "reliable"
	timeout time.Duration
}

// parseArgs parses the command line by hand (the flag package would also accept "-role" and other
// spellings PROTOCOL.md does not define). Any problem is returned as an error: the caller prints it
// on stderr and exits 2.
func parseArgs(args []string) (options, error) {
	opts := options{mib: 16, timeout: 90 * time.Second}
	value := func(i int) (string, error) {
		if i+1 >= len(args) {
			return "", fmt.Errorf("option %s needs a value", args[i])
		}
		return args[i+1], nil
	}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--role":
			v, err := value(i)
			if err != nil {
				return opts, err
			}
			if v != "offer" && v != "answer" {
				return opts, fmt.Errorf("bad --role %q (want offer or answer)", v)
			}
			opts.role = v
			i++
		case "--mib":
			v, err := value(i)
			if err != nil {
				return opts, err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return opts, fmt.Errorf("bad --mib %q (want a whole number >= 0)", v)
			}
			opts.mib = n
			i++
		case "--timeout":
			v, err := value(i)
			if err != nil {
				return opts, err
			}
			s, err := strconv.ParseFloat(v, 64)
			if err != nil || s <= 0 {
				return opts, fmt.Errorf("bad --timeout %q (want seconds > 0)", v)
			}
			opts.timeout = time.Duration(s * float64(time.Second))
			i++
		default:
			return opts, fmt.Errorf("unknown option %q", args[i])
		}
	}
	if opts.role == "" {
		return opts, fmt.Errorf("missing --role offer|answer")
	}
	return opts, nil
}

// ---- stdout: signaling lines and the one report line ----

// output serializes everything written to stdout. Once the report is printed, no failure can print a
// second one (reported guards that).
type output struct {
	mu       sync.Mutex
	reported bool
}

var out output

// writeLine prints one JSON object as a line on stdout. os.Stdout is unbuffered, so the line is
// flushed at once.
func (o *output) writeLine(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		log.Printf("cannot encode %T: %v", v, err)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := os.Stdout.Write(append(b, '\n')); err != nil {
		log.Printf("stdout: %v", err)
	}
}

// acceptedChannel is one entry of the report's "accepted" list, as pion reports the channel.
type acceptedChannel struct {
	Label          string  `json:"label"`
	Ordered        bool    `json:"ordered"`
	MaxRetransmits *uint16 `json:"maxRetransmits"` // null when not set
}

// successReport is the report line of a run that went through (field order as in PROTOCOL.md).
type successReport struct {
	Type          string            `json:"type"`
	OK            bool              `json:"ok"`
	Stack         string            `json:"stack"`
	Version       string            `json:"version"`
	Role          string            `json:"role"`
	Text          bool              `json:"text"`
	Binary        bool              `json:"binary"`
	BulkBytes     int64             `json:"bulkBytes"`
	BulkSeconds   float64           `json:"bulkSeconds"`
	BulkMBps      float64           `json:"bulkMBps"`
	HashOK        bool              `json:"hashOk"`
	Unordered     int               `json:"unordered"`
	Partial       int               `json:"partial"`
	Accepted      []acceptedChannel `json:"accepted"`
	CloseObserved string            `json:"closeObserved"`
}

// failedReport is the report line of a run that failed.
type failedReport struct {
	Type  string `json:"type"`
	OK    bool   `json:"ok"`
	Stack string `json:"stack"`
	Role  string `json:"role"`
	Error string `json:"error"`
}

// reportSuccess prints the success report unless a report was printed already. It returns whether
// it printed.
func (o *output) reportSuccess(r successReport) bool {
	b, err := json.Marshal(r)
	if err != nil {
		log.Printf("cannot encode the report: %v", err)
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.reported {
		return false
	}
	o.reported = true
	_, _ = os.Stdout.Write(append(b, '\n'))
	return true
}

// fail prints the failed report and exits with code (1, or 3 for the timeout). After a report has
// been printed (success or an earlier failure) it only logs: exactly one report line per run.
func fail(role string, code int, format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	b, _ := json.Marshal(failedReport{Type: "report", OK: false, Stack: stack, Role: role, Error: msg})
	out.mu.Lock()
	if out.reported {
		out.mu.Unlock()
		log.Printf("(after the report) %s", msg)
		return
	}
	out.reported = true
	log.Printf("FAILED: %s", msg)
	_, _ = os.Stdout.Write(append(b, '\n'))
	// Exit while still holding the lock, so nothing else reaches stdout after the report.
	os.Exit(code)
}

func main() {
	log.SetOutput(os.Stderr)
	log.SetFlags(log.Ltime | log.Lmicroseconds)

	opts, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "pion-peer: %v\nusage: pion-peer --role offer|answer [--mib N] [--timeout S]\n", err)
		os.Exit(2)
	}
	log.SetPrefix("pion-peer " + opts.role + ": ")
	log.Printf("pion/webrtc %s, bulk %d MiB, timeout %s", version, opts.mib, opts.timeout)

	// Read stdin from the very start, buffering lines: a description may arrive before we are ready.
	lines, stdinEOF := readStdin()

	// The timeout covers the whole run up to the report.
	s := newScenario(opts)
	timer := time.AfterFunc(opts.timeout, func() {
		fail(opts.role, 3, "timeout after %s: %s", opts.timeout, s.progress())
	})

	if err := s.newPeerConnection(); err != nil {
		fail(opts.role, 1, "%v", err)
	}
	sig := newSignaling(s, lines)
	if opts.role == "offer" {
		offer, err := s.createOffer()
		if err != nil {
			fail(opts.role, 1, "%v", err)
		}
		sig.sendDescription(offer)
	}
	go sig.run() // the answerer answers when the offer line arrives

	<-s.reported // the success report is out (failures exit from fail)
	timer.Stop()

	// Keep the connection up until stdin reaches EOF, then close it and exit 0.
	<-stdinEOF
	log.Printf("stdin closed; closing the peer connection")
	s.close()
	os.Exit(0)
}
