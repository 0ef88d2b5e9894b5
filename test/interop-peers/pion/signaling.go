package main

// Signaling: stdin lines in, descriptions and candidates out, and the address filter of PROTOCOL.md.

import (
	"bufio"
	"encoding/json"
	"log"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/pion/webrtc/v3"
)

// signalMessage is one signaling line. Candidate is a pointer so that a null or missing candidate
// (end-of-candidates) can be told apart from a real one; both mean the same to us.
type signalMessage struct {
	Type          string  `json:"type"`
	SDP           string  `json:"sdp,omitempty"`
	Candidate     *string `json:"candidate,omitempty"`
	SDPMid        *string `json:"sdpMid,omitempty"`
	SDPMLineIndex *uint16 `json:"sdpMLineIndex,omitempty"`
}

// readStdin starts a goroutine that reads stdin line by line from the start of the run. Lines are
// queued on the returned channel (generously buffered, so the reader never waits for the consumer);
// the second channel is closed when stdin reaches EOF (or fails).
func readStdin() (<-chan string, <-chan struct{}) {
	lines := make(chan string, 4096)
	eof := make(chan struct{})
	go func() {
		defer close(eof)
		sc := bufio.NewScanner(os.Stdin)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024) // an SDP line can be long
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				lines <- line
			}
		}
		if err := sc.Err(); err != nil {
			log.Printf("stdin: %v", err)
		}
	}()
	return lines, eof
}

// ---- address filter ----

// labNet is the address range a test namespace may give a stack that cannot use loopback (Firefox).
var labNet = &net.IPNet{IP: net.IPv4(198, 51, 100, 0), Mask: net.CIDRMask(24, 32)}

// isLocalGatherIP is pion's gathering filter (SettingEngine.SetIPFilter): only 127.0.0.1.
func isLocalGatherIP(ip net.IP) bool {
	return ip.Equal(net.IPv4(127, 0, 0, 1))
}

// isAllowedRemoteIP says whether a remote candidate's address is one PROTOCOL.md lets peers use:
// 127.0.0.1 or the lab range. Anything else (other interfaces, IPv6, mDNS names) is ignored.
func isAllowedRemoteIP(addr string) bool {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() == nil {
		return false // not an IPv4 literal: IPv6, or an mDNS name like "….local"
	}
	return ip.Equal(net.IPv4(127, 0, 0, 1)) || labNet.Contains(ip)
}

// candidateAllowed checks a candidate attribute value ("candidate:<foundation> <component>
// <transport> <priority> <address> <port> typ <type> …", with or without the "candidate:" prefix):
// UDP on an allowed address.
func candidateAllowed(cand string) bool {
	f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(cand), "candidate:"))
	if len(f) < 8 {
		return false
	}
	return strings.EqualFold(f[2], "udp") && isAllowedRemoteIP(f[4])
}

// filterSDPCandidates drops every "a=candidate:" line of an SDP whose address is not allowed (for a
// peer that puts its candidates in the SDP instead of trickling them, e.g. aiortc).
func filterSDPCandidates(sdp string) string {
	lines := strings.SplitAfter(sdp, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(l, "a=candidate:") {
			if !candidateAllowed(strings.TrimRight(strings.TrimPrefix(l, "a="), "\r\n")) {
				log.Printf("ignoring SDP candidate %q", strings.TrimRight(l, "\r\n"))
				continue
			}
		}
		kept = append(kept, l)
	}
	return strings.Join(kept, "")
}

// firstMid returns the value of the first a=mid line of an SDP ("" if none).
func firstMid(sdp string) string {
	for _, l := range strings.Split(sdp, "\n") {
		if strings.HasPrefix(l, "a=mid:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "a=mid:"))
		}
	}
	return ""
}

// ---- the signaling state machine ----

// signaling applies incoming lines to the peer connection and prints local candidates. Local
// candidates found before our own description is printed are held back and printed right after it,
// and remote candidates that arrive before the remote description is set are held and added after
// it.
type signaling struct {
	s     *scenario
	lines <-chan string

	mu            sync.Mutex
	localSent     bool                      // our offer/answer is on stdout
	localMid      string                    // the mid of our one m-section, for our candidate lines
	pendingLocal  []signalMessage           // local candidates waiting for localSent
	remoteSet     bool                      // SetRemoteDescription succeeded
	pendingRemote []webrtc.ICECandidateInit // remote candidates waiting for remoteSet
}

func newSignaling(s *scenario, lines <-chan string) *signaling {
	sig := &signaling{s: s, lines: lines}
	// Registered before any SetLocalDescription, so no candidate is missed.
	s.pc.OnICECandidate(sig.onLocalCandidate)
	return sig
}

// onLocalCandidate is pion's OnICECandidate callback; nil means gathering is complete.
func (sig *signaling) onLocalCandidate(c *webrtc.ICECandidate) {
	var msg signalMessage
	if c == nil {
		empty := ""
		msg = signalMessage{Type: "candidate", Candidate: &empty}
		log.Printf("local gathering complete")
	} else {
		// The IP filter should already keep pion on 127.0.0.1; check anyway before printing.
		if c.Protocol != webrtc.ICEProtocolUDP || !isLocalGatherIP(net.ParseIP(c.Address)) {
			log.Printf("dropping local candidate %s", c.String())
			return
		}
		init := c.ToJSON()
		msg = signalMessage{Type: "candidate", Candidate: &init.Candidate}
		log.Printf("local candidate %s", init.Candidate)
	}
	sig.mu.Lock()
	defer sig.mu.Unlock()
	if !sig.localSent {
		sig.pendingLocal = append(sig.pendingLocal, msg)
		return
	}
	sig.printCandidateLocked(msg)
}

// printCandidateLocked prints a local candidate line. pion's ICECandidate.ToJSON gives sdpMid "" (not
// the mid of the m-section), so the mid is taken from our own description instead.
func (sig *signaling) printCandidateLocked(msg signalMessage) {
	if msg.Candidate != nil && *msg.Candidate != "" {
		mid := sig.localMid
		index := uint16(0)
		msg.SDPMid, msg.SDPMLineIndex = &mid, &index
	}
	out.writeLine(msg)
}

// sendDescription prints our offer/answer, then any local candidates held back until now.
func (sig *signaling) sendDescription(desc webrtc.SessionDescription) {
	sdp := filterSDPCandidates(desc.SDP) // pion puts none in it before gathering; be safe
	sig.mu.Lock()
	defer sig.mu.Unlock()
	sig.localMid = firstMid(sdp)
	out.writeLine(signalMessage{Type: desc.Type.String(), SDP: sdp})
	log.Printf("sent %s", desc.Type)
	sig.localSent = true
	for _, m := range sig.pendingLocal {
		sig.printCandidateLocked(m)
	}
	sig.pendingLocal = nil
}

// run consumes stdin lines until the channel is drained at EOF.
func (sig *signaling) run() {
	for line := range sig.lines {
		var msg signalMessage
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			log.Printf("ignoring a stdin line that is not JSON: %.80q", line)
			continue
		}
		switch msg.Type {
		case "offer", "answer":
			sig.onRemoteDescription(msg)
		case "candidate":
			sig.onRemoteCandidate(msg)
		default:
			// e.g. the other side's report: not for us
		}
	}
}

// onRemoteDescription applies the peer's offer (answerer) or answer (offerer).
func (sig *signaling) onRemoteDescription(msg signalMessage) {
	role := sig.s.opts.role
	want := "answer"
	if role == "answer" {
		want = "offer"
	}
	if msg.Type != want {
		log.Printf("ignoring an unexpected %q (we are the %s side)", msg.Type, role)
		return
	}
	sig.mu.Lock()
	already := sig.remoteSet
	sig.mu.Unlock()
	if already {
		log.Printf("ignoring a second %s", msg.Type)
		return
	}

	sdpType := webrtc.SDPTypeAnswer
	if msg.Type == "offer" {
		sdpType = webrtc.SDPTypeOffer
	}
	desc := webrtc.SessionDescription{Type: sdpType, SDP: filterSDPCandidates(msg.SDP)}
	if err := sig.s.pc.SetRemoteDescription(desc); err != nil {
		fail(role, 1, "setRemoteDescription(%s): %v", msg.Type, err)
	}
	log.Printf("remote %s set", msg.Type)

	if role == "answer" {
		answer, err := sig.s.pc.CreateAnswer(nil)
		if err != nil {
			fail(role, 1, "createAnswer: %v", err)
		}
		if err := sig.s.pc.SetLocalDescription(answer); err != nil {
			fail(role, 1, "setLocalDescription(answer): %v", err)
		}
		sig.sendDescription(answer)
	}

	// Now the held remote candidates can go in.
	sig.mu.Lock()
	sig.remoteSet = true
	pending := sig.pendingRemote
	sig.pendingRemote = nil
	sig.mu.Unlock()
	for _, c := range pending {
		sig.addRemoteCandidate(c)
	}
}

// onRemoteCandidate filters a trickled candidate and adds it, or holds it if the remote description
// is not set yet. An empty/null/missing candidate (end-of-candidates) is ignored.
func (sig *signaling) onRemoteCandidate(msg signalMessage) {
	if msg.Candidate == nil || strings.TrimSpace(*msg.Candidate) == "" {
		log.Printf("remote end-of-candidates")
		return
	}
	if !candidateAllowed(*msg.Candidate) {
		log.Printf("ignoring remote candidate %q", *msg.Candidate)
		return
	}
	init := webrtc.ICECandidateInit{Candidate: *msg.Candidate, SDPMid: msg.SDPMid, SDPMLineIndex: msg.SDPMLineIndex}
	sig.mu.Lock()
	if !sig.remoteSet {
		sig.pendingRemote = append(sig.pendingRemote, init)
		sig.mu.Unlock()
		return
	}
	sig.mu.Unlock()
	sig.addRemoteCandidate(init)
}

func (sig *signaling) addRemoteCandidate(c webrtc.ICECandidateInit) {
	if err := sig.s.pc.AddICECandidate(c); err != nil {
		// One bad candidate need not sink the run: ICE fails (and the scenario with it) if none works.
		log.Printf("addIceCandidate(%q): %v", c.Candidate, err)
		return
	}
	log.Printf("remote candidate %s", c.Candidate)
}
