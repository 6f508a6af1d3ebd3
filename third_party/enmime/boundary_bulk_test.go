package enmime

// warrantydesk: checks the bulk copy in boundaryReader.Read against v2.3.0's byte-by-byte Read.

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/pkg/errors"
)

// refBoundaryReader is boundaryReader with enmime v2.3.0's Read.
type refBoundaryReader struct{ *boundaryReader }

func (b *refBoundaryReader) Read(dest []byte) (n int, err error) {
	if b.buffer.Len() >= len(dest) {
		// This read request can be satisfied entirely by the buffer.
		n, err = b.buffer.Read(dest)
		if b.atPartStart && n > 0 {
			b.atPartStart = false
		}

		return n, err
	}

	for i := 0; i < len(dest); i++ {
		var cs []byte
		cs, err = b.r.Peek(1)
		if err != nil && err != io.EOF {
			return 0, errors.WithStack(err)
		}
		// Ensure that we can switch on the first byte of 'cs' without panic.
		if len(cs) > 0 {
			padding := 1
			check := false

			switch cs[0] {
			// Check for carriage return as potential CRLF boundary prefix.
			case '\r':
				padding = 2
				check = true
			// Check for line feed as potential LF boundary prefix.
			case '\n':
				check = true

			default:
				if b.atPartStart {
					// If we're at the very beginning of the part (even before the headers),
					// check to see if there's a delimiter that immediately follows.
					padding = 0
					check = true
				}
			}

			if check {
				var peek []byte
				peek, err = b.r.Peek(len(b.nlPrefix) + padding + 1)
				switch err {
				case nil:
					// Check the whitespace at the head of the peek to avoid checking for a boundary early.
					if bytes.HasPrefix(peek, []byte("\n\n")) ||
						bytes.HasPrefix(peek, []byte("\n\r")) ||
						bytes.HasPrefix(peek, []byte("\r\n\r")) ||
						bytes.HasPrefix(peek, []byte("\r\n\n")) {
						break
					}
					// Check the peek buffer for a boundary delimiter or terminator.
					if b.isDelimiter(peek[padding:]) || b.isTerminator(peek[padding:]) {
						// We have found our boundary terminator, lets write out the final bytes
						// and return io.EOF to indicate that this section read is complete.
						n, err = b.buffer.Read(dest)
						switch err {
						case nil, io.EOF:
							if b.atPartStart && n > 0 {
								b.atPartStart = false
							}
							return n, io.EOF
						default:
							return 0, errors.WithStack(err)
						}
					}
				case io.EOF:
					// We have reached the end without finding a boundary,
					// so we flag the boundary reader to add an error to
					// the errors slice and write what we have to the buffer.
					b.unbounded = true
				default:
					continue
				}
			}
		}

		var next byte
		next, err = b.r.ReadByte()
		if err != nil {
			// EOF is not fatal, it just means that we have drained the reader.
			if errors.Is(err, io.EOF) {
				break
			}

			return 0, errors.WithStack(err)
		}

		if err = b.buffer.WriteByte(next); err != nil {
			return 0, errors.WithStack(err)
		}
	}

	// Read the contents of the buffer into the destination slice.
	n, err = b.buffer.Read(dest)
	if b.atPartStart && n > 0 {
		b.atPartStart = false
	}
	return n, err
}

type partReader interface {
	io.Reader
	Next() (bool, error)
}

// readAllParts reads every part with reads of random sizes and returns the parts, errors and flags.
func readAllParts(br *boundaryReader, r io.Reader, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []string
	for {
		ok, err := br.Next()
		out = append(out, "next", boolStr(ok), errStr(err))
		if !ok || err != nil {
			break
		}
		var part bytes.Buffer
		for {
			buf := make([]byte, 1+rng.IntN(200))
			n, err := r.Read(buf)
			part.Write(buf[:n])
			if err != nil {
				out = append(out, errStr(err))
				break
			}
		}
		out = append(out, part.String(), boolStr(br.unbounded))
	}
	return out
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func errStr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestBulkReadMatchesByteByByte(t *testing.T) {
	pieces := []string{"a", "bc", "--b", "--bd", "--bd--", "--bd ", "\r\n", "\n", "\r", " ", "x--bd\n",
		"\r\n--bd\r\n", "\n--bd--\n", "\r\n\r\n", "héllo wörld ", "--", "-", "bd"}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 20000; i++ {
		var mail bytes.Buffer
		for n := rng.IntN(60); n > 0; n-- {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(10) == 0 {
				p = string(bytes.Repeat([]byte("z"), rng.IntN(5000)))
			}
			mail.WriteString(p)
		}
		size := 16 + rng.IntN(100)
		fast := newBoundaryReader(bufio.NewReaderSize(bytes.NewReader(mail.Bytes()), size), "bd")
		slowInner := newBoundaryReader(bufio.NewReaderSize(bytes.NewReader(mail.Bytes()), size), "bd")
		slow := &refBoundaryReader{slowInner}
		seed := rng.Uint64()
		got := readAllParts(fast, fast, seed)
		want := readAllParts(slowInner, slow, seed)
		if len(got) != len(want) {
			t.Fatalf("mail %q: got %q, want %q", mail.String(), got, want)
		}
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("mail %q (buffer %d): item %d: got %q, want %q", mail.String(), size, j, got[j], want[j])
			}
		}
	}
}
