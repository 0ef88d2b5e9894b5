package main

// The scenario of PROTOCOL.md: the three channels, what is sent and checked on each, "done", the
// close handshake and the report.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"log"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v3"
)

// Scenario constants (PROTOCOL.md).
const (
	textMessage    = "interop: ünïcödé ✓ 漢字 🙂"
	chunkSize      = 16384   // bytes per bulk message
	lowThreshold   = 1 << 20 // bufferedAmountLowThreshold: 1 MiB
	highWaterMark  = 4 << 20 // wait for bufferedamountlow while bufferedAmount > 4 MiB
	smallCount     = 100     // messages on "unordered" and on "partial"
	hashPrefix     = "sha256:"
	doneMessage    = "done"
	labelReliable  = "reliable"
	labelUnordered = "unordered"
	labelPartial   = "partial"
)

// binaryMessage is BINARY: 256 bytes, byte i = i.
var binaryMessage = func() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// Stages of the receive side of "reliable".
const (
	expectText = iota
	expectBinary
	inBulk     // binary bulk chunks until the sha256: line
	expectDone // the peer's "done"
	finished   // nothing more may arrive
)

type scenario struct {
	opts     options
	pc       *webrtc.PeerConnection
	reported chan struct{} // closed once the success report is printed

	ownClose  string // the channel this side closes: "unordered" (offerer) or "partial" (answerer)
	peerClose string // the channel whose close by the peer this side waits for

	mu       sync.Mutex
	channels map[string]*webrtc.DataChannel // by label, created or accepted
	accepted []acceptedChannel              // channels announced by the peer, as pion reports them
	opened   map[string]bool                // channels whose open this side has seen

	// receiving on "reliable"
	stage     int
	textOK    bool
	binaryOK  bool
	bulkHash  hash.Hash
	bulkBytes int64
	bulkStart time.Time // arrival of the first bulk chunk
	bulkEnd   time.Time // arrival of the sha256: line
	hashOK    bool
	gotDone   bool

	// receiving on the small channels
	unorderedSeen map[string]bool
	partialCount  int

	// sending and closing
	bulkSent      bool // TEXT, BINARY, the bulk and our sha256: line are sent
	doneSent      bool
	closing       bool // we called Close on ownClose
	closeObserved bool // the peer's close of peerClose arrived
	isReported    bool
}

func newScenario(opts options) *scenario {
	s := &scenario{
		opts:          opts,
		reported:      make(chan struct{}),
		channels:      map[string]*webrtc.DataChannel{},
		opened:        map[string]bool{},
		accepted:      []acceptedChannel{}, // "[]" in the report, never null
		bulkHash:      sha256.New(),
		unorderedSeen: map[string]bool{},
	}
	if opts.role == "offer" {
		s.ownClose, s.peerClose = labelUnordered, labelPartial
	} else {
		s.ownClose, s.peerClose = labelPartial, labelUnordered
	}
	return s
}

// newPeerConnection creates the peer connection: loopback only, UDP over IPv4, no mDNS, no ICE
// servers, pion's own logs on stderr.
func (s *scenario) newPeerConnection() error {
	var se webrtc.SettingEngine
	logs := logging.NewDefaultLoggerFactory() // log levels from PION_LOG_* variables, if set
	logs.Writer = os.Stderr                   // pion's default writer is stdout
	se.LoggerFactory = logs
	se.SetIncludeLoopbackCandidate(true) // pion skips loopback interfaces by default
	se.SetIPFilter(isLocalGatherIP)      // … and then gathers 127.0.0.1 only
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled) // no "….local" candidates, none resolved

	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: []webrtc.ICEServer{}})
	if err != nil {
		return fmt.Errorf("newPeerConnection: %w", err)
	}
	s.pc = pc

	pc.OnICEConnectionStateChange(func(st webrtc.ICEConnectionState) { log.Printf("ICE connection state: %s", st) })
	pc.OnConnectionStateChange(s.onConnectionState)
	pc.OnDataChannel(s.onDataChannel)
	return nil
}

// createOffer (offerer) opens "reliable" before createOffer, as PROTOCOL.md asks, then creates the
// offer and sets it as the local description.
func (s *scenario) createOffer() (webrtc.SessionDescription, error) {
	dc, err := s.pc.CreateDataChannel(labelReliable, nil) // reliable, ordered: the defaults
	if err != nil {
		return webrtc.SessionDescription{}, fmt.Errorf("createDataChannel(%s): %w", labelReliable, err)
	}
	s.addChannel(dc)
	offer, err := s.pc.CreateOffer(nil)
	if err != nil {
		return offer, fmt.Errorf("createOffer: %w", err)
	}
	if err := s.pc.SetLocalDescription(offer); err != nil {
		return offer, fmt.Errorf("setLocalDescription(offer): %w", err)
	}
	return offer, nil
}

func (s *scenario) onConnectionState(st webrtc.PeerConnectionState) {
	log.Printf("connection state: %s", st)
	if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.isReported {
			fail(s.opts.role, 1, "peer connection %s before the scenario finished (%s)", st, s.progressLocked())
		}
	}
}

// onDataChannel is pion's ondatachannel. pion waits for this handler to return before it starts the
// channel's read loop, so the handlers set here see every message.
func (s *scenario) onDataChannel(dc *webrtc.DataChannel) {
	a := acceptedChannel{Label: dc.Label(), Ordered: dc.Ordered(), MaxRetransmits: dc.MaxRetransmits()}
	maxRetransmits := "null"
	if a.MaxRetransmits != nil {
		maxRetransmits = strconv.Itoa(int(*a.MaxRetransmits))
	}
	log.Printf("peer announced channel %q (ordered %t, maxRetransmits %s, maxPacketLifeTime %v)",
		a.Label, a.Ordered, maxRetransmits, dc.MaxPacketLifeTime())
	s.mu.Lock()
	s.accepted = append(s.accepted, a)
	s.mu.Unlock()
	s.addChannel(dc)
}

// addChannel wires the handlers of a channel this side created or accepted.
func (s *scenario) addChannel(dc *webrtc.DataChannel) {
	label := dc.Label()
	s.mu.Lock()
	if _, dup := s.channels[label]; dup {
		s.mu.Unlock()
		fail(s.opts.role, 1, "a second channel labelled %q", label)
	}
	s.channels[label] = dc
	s.mu.Unlock()

	dc.OnMessage(func(m webrtc.DataChannelMessage) { s.onMessage(label, m) })
	dc.OnClose(func() { s.onChannelClose(label) })
	dc.OnError(func(err error) { log.Printf("channel %q error: %v", label, err) })
	// OnOpen runs the handler at once (in a goroutine) if the channel is open already, which an
	// accepted channel is when ondatachannel fires.
	dc.OnOpen(func() { s.onOpen(dc) })
}

// onOpen runs the sending side of a channel: the same code on the opener and on the acceptor.
func (s *scenario) onOpen(dc *webrtc.DataChannel) {
	label := dc.Label()
	s.mu.Lock()
	if s.opened[label] {
		s.mu.Unlock()
		return
	}
	s.opened[label] = true
	s.mu.Unlock()
	log.Printf("channel %q open", label)

	switch label {
	case labelReliable:
		if s.opts.role == "offer" {
			s.openSmallChannels()
		}
		go s.sendReliable(dc)
	case labelUnordered:
		go s.sendSmall(dc, "u")
	case labelPartial:
		go s.sendSmall(dc, "p")
	default:
		log.Printf("channel %q is not part of the scenario; sending nothing on it", label)
	}
}

// openSmallChannels (offerer, once "reliable" is open) creates "unordered" and "partial".
func (s *scenario) openSmallChannels() {
	unordered, reliable := false, uint16(0)
	for _, c := range []struct {
		label string
		init  *webrtc.DataChannelInit
	}{
		{labelUnordered, &webrtc.DataChannelInit{Ordered: &unordered}},
		{labelPartial, &webrtc.DataChannelInit{MaxRetransmits: &reliable}},
	} {
		dc, err := s.pc.CreateDataChannel(c.label, c.init)
		if err != nil {
			fail(s.opts.role, 1, "createDataChannel(%s): %v", c.label, err)
		}
		s.addChannel(dc)
	}
}

// sendSmall sends prefix0 … prefix99 as strings.
func (s *scenario) sendSmall(dc *webrtc.DataChannel, prefix string) {
	for i := 0; i < smallCount; i++ {
		if err := dc.SendText(prefix + strconv.Itoa(i)); err != nil {
			fail(s.opts.role, 1, "send %s%d on %q: %v", prefix, i, dc.Label(), err)
		}
	}
	log.Printf("sent %s0..%s%d on %q", prefix, prefix, smallCount-1, dc.Label())
}

// sendReliable sends TEXT, BINARY, the bulk (with back-pressure) and the sha256: line, then "done"
// once this side is done receiving.
func (s *scenario) sendReliable(dc *webrtc.DataChannel) {
	send := func(what string, err error) {
		if err != nil {
			fail(s.opts.role, 1, "send %s on %q: %v", what, labelReliable, err)
		}
	}
	// bufferedamountlow events are latched in a one-slot channel, so one that fires between our check
	// of BufferedAmount and the wait is not lost. pion calls the handler from its SCTP read loop:
	// it must not block.
	low := make(chan struct{}, 1)
	dc.SetBufferedAmountLowThreshold(lowThreshold)
	dc.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})

	send("TEXT", dc.SendText(textMessage))
	send("BINARY", dc.Send(binaryMessage))

	sum := sha256.New()
	chunks := s.opts.mib * (1 << 20) / chunkSize
	waits := 0
	for i := 0; i < chunks; i++ {
		for dc.BufferedAmount() > highWaterMark {
			waits++
			<-low // the timeout (or a close) ends the run if this never comes
		}
		chunk := make([]byte, chunkSize) // a fresh slice per message: pion may still hold the last
		if _, err := rand.Read(chunk); err != nil {
			fail(s.opts.role, 1, "random bulk chunk: %v", err)
		}
		sum.Write(chunk)
		send(fmt.Sprintf("bulk chunk %d/%d", i+1, chunks), dc.Send(chunk))
	}
	digest := hex.EncodeToString(sum.Sum(nil))
	send("the sha256: line", dc.SendText(hashPrefix+digest))
	log.Printf("sent %d MiB of bulk (%d chunks, waited for bufferedamountlow %d times), sha256 %s",
		s.opts.mib, chunks, waits, digest)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.bulkSent = true
	s.advanceLocked()
}

// describe names a message for error texts.
func describe(m webrtc.DataChannelMessage) string {
	if m.IsString {
		str := string(m.Data)
		if len(str) > 80 {
			str = str[:80] + "…"
		}
		return fmt.Sprintf("the string %q", str)
	}
	return fmt.Sprintf("a binary message of %d bytes", len(m.Data))
}

// onMessage checks every received message. pion delivers a channel's messages one at a time, in
// the order its read loop gets them.
func (s *scenario) onMessage(label string, m webrtc.DataChannelMessage) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isReported {
		return
	}
	switch label {
	case labelReliable:
		s.onReliableLocked(m, now)
	case labelUnordered:
		str := string(m.Data)
		if !m.IsString || !isSmallMessage(str, "u") {
			fail(s.opts.role, 1, "on %q: expected a string u0..u%d, got %s", label, smallCount-1, describe(m))
		}
		s.unorderedSeen[str] = true
	case labelPartial:
		if !m.IsString || !isSmallMessage(string(m.Data), "p") {
			fail(s.opts.role, 1, "on %q: expected a string p0..p%d, got %s", label, smallCount-1, describe(m))
		}
		s.partialCount++
	default:
		log.Printf("ignoring %s on channel %q", describe(m), label)
		return
	}
	s.advanceLocked()
}

// isSmallMessage checks for prefix0 … prefix99.
func isSmallMessage(str, prefix string) bool {
	if !strings.HasPrefix(str, prefix) {
		return false
	}
	digits := str[len(prefix):]
	n, err := strconv.Atoi(digits)
	return err == nil && n >= 0 && n < smallCount && strconv.Itoa(n) == digits
}

// onReliableLocked is the receive state machine of "reliable": TEXT, BINARY, bulk, sha256:, done.
func (s *scenario) onReliableLocked(m webrtc.DataChannelMessage, now time.Time) {
	role := s.opts.role
	switch s.stage {
	case expectText:
		if !m.IsString || string(m.Data) != textMessage {
			fail(role, 1, "first message on %q: expected the string TEXT, got %s", labelReliable, describe(m))
		}
		s.textOK = true
		s.stage = expectBinary
	case expectBinary:
		if m.IsString || !bytes.Equal(m.Data, binaryMessage) {
			fail(role, 1, "second message on %q: expected the 256-byte binary BINARY, got %s", labelReliable, describe(m))
		}
		s.binaryOK = true
		s.stage = inBulk
	case inBulk:
		if !m.IsString {
			if s.bulkBytes == 0 {
				s.bulkStart = now
			}
			s.bulkHash.Write(m.Data)
			s.bulkBytes += int64(len(m.Data))
			return
		}
		str := string(m.Data)
		if str == doneMessage {
			fail(role, 1, "on %q: done arrived before the peer's sha256: line (after %d bulk bytes)", labelReliable, s.bulkBytes)
		}
		if !strings.HasPrefix(str, hashPrefix) {
			fail(role, 1, "on %q after %d bulk bytes: expected bulk or the sha256: line, got %s", labelReliable, s.bulkBytes, describe(m))
		}
		s.bulkEnd = now
		got := hex.EncodeToString(s.bulkHash.Sum(nil))
		if want := strings.TrimPrefix(str, hashPrefix); want != got {
			fail(role, 1, "bulk hash mismatch: received %d bytes with sha256 %s, the sender's line says %q", s.bulkBytes, got, want)
		}
		s.hashOK = true
		s.stage = expectDone
		log.Printf("bulk received: %d bytes, hash ok", s.bulkBytes)
	case expectDone:
		if !m.IsString || string(m.Data) != doneMessage {
			fail(role, 1, "on %q after the sha256: line: expected the string done, got %s", labelReliable, describe(m))
		}
		s.gotDone = true
		s.stage = finished
		log.Printf("received done")
	default:
		fail(role, 1, "on %q after done: unexpected %s", labelReliable, describe(m))
	}
}

// advanceLocked moves the scenario on after any change: send "done" once done receiving (and after
// our own bulk), close our channel once done is both sent and received, report once the peer's close
// has been observed as well.
func (s *scenario) advanceLocked() {
	doneReceiving := s.hashOK && len(s.unorderedSeen) == smallCount
	if doneReceiving && s.bulkSent && !s.doneSent {
		s.doneSent = true
		if err := s.channels[labelReliable].SendText(doneMessage); err != nil {
			fail(s.opts.role, 1, "send done on %q: %v", labelReliable, err)
		}
		log.Printf("sent done")
	}
	if s.doneSent && s.gotDone && !s.closing {
		s.closing = true
		dc := s.channels[s.ownClose]
		if dc == nil {
			fail(s.opts.role, 1, "channel %q to close does not exist", s.ownClose)
		}
		log.Printf("closing %q", s.ownClose)
		if err := dc.Close(); err != nil {
			fail(s.opts.role, 1, "close %q: %v", s.ownClose, err)
		}
	}
	if s.closing && s.closeObserved && !s.isReported {
		s.reportLocked()
	}
}

// onChannelClose is a channel's onclose. Expected: the peer's close of peerClose (which can only
// come once we have sent done, since the peer closes after receiving it) and the completion of our own
// close of ownClose. Any other close before the report is a failure.
func (s *scenario) onChannelClose(label string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.isReported:
		log.Printf("channel %q closed (after the report)", label)
	case label == s.ownClose && s.closing:
		log.Printf("our close of %q completed", label)
	case label == s.peerClose && s.doneSent:
		log.Printf("observed the peer's close of %q", label)
		s.closeObserved = true
		s.advanceLocked()
	default:
		fail(s.opts.role, 1, "channel %q closed early (%s)", label, s.progressLocked())
	}
}

// reportLocked prints the success report and releases main.
func (s *scenario) reportLocked() {
	var seconds, mbps float64
	if s.bulkBytes > 0 {
		seconds = math.Round(s.bulkEnd.Sub(s.bulkStart).Seconds()*1e6) / 1e6
		if seconds > 0 {
			mbps = math.Round(float64(s.bulkBytes)/seconds/1e6*100) / 100
		}
	}
	r := successReport{
		Type: "report", OK: true, Stack: stack, Version: version, Role: s.opts.role,
		Text: s.textOK, Binary: s.binaryOK,
		BulkBytes: s.bulkBytes, BulkSeconds: seconds, BulkMBps: mbps, HashOK: s.hashOK,
		Unordered: len(s.unorderedSeen), Partial: s.partialCount,
		Accepted:      s.accepted,
		CloseObserved: s.peerClose,
	}
	if out.reportSuccess(r) {
		s.isReported = true
		log.Printf("report: ok, %d bytes in %.3f s = %.2f MB/s", s.bulkBytes, seconds, mbps)
		s.logChannelStats()
		close(s.reported)
	}
}

// logChannelStats logs pion's own per-channel message counters (stderr), to compare with what
// reached our handlers.
func (s *scenario) logChannelStats() {
	for _, st := range s.pc.GetStats() {
		if d, ok := st.(webrtc.DataChannelStats); ok {
			log.Printf("pion stats: channel %q: %d messages sent, %d received", d.Label, d.MessagesSent, d.MessagesReceived)
		}
	}
}

// progress describes how far the run got, for the timeout's error text.
func (s *scenario) progress() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.progressLocked()
}

func (s *scenario) progressLocked() string {
	state := "no peer connection"
	if s.pc != nil {
		state = s.pc.ConnectionState().String()
	}
	var open []string
	for label := range s.opened {
		open = append(open, label)
	}
	return fmt.Sprintf("connection %s; channels seen open %v; received: text %t, binary %t, bulk %d bytes, hash ok %t, "+
		"unordered %d/%d, partial %d, done %t; sent: bulk %t, done %t; closed %q %t; peer's close of %q observed %t",
		state, open, s.textOK, s.binaryOK, s.bulkBytes, s.hashOK, len(s.unorderedSeen), smallCount, s.partialCount,
		s.gotDone, s.bulkSent, s.doneSent, s.ownClose, s.closing, s.peerClose, s.closeObserved)
}

// close closes the peer connection at the end of a successful run, giving it a few seconds at most.
func (s *scenario) close() {
	closed := make(chan error, 1)
	go func() { closed <- s.pc.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			log.Printf("close: %v", err)
		}
	case <-time.After(5 * time.Second):
		log.Printf("close: peer connection still closing after 5 s; exiting anyway")
	}
}
