package sip

import "testing"

func FuzzFrameStream(f *testing.F) {
	f.Add([]byte("INVITE sip:bob@example.com SIP/2.0\r\nContent-Length: 5\r\n\r\nhello"), 100)
	f.Add([]byte("OPTIONS sip:a SIP/2.0\r\nl:\r\n 2\r\n\r\nab"), 65535)
	f.Add([]byte("\r\n\r\nSIP/2.0 200 OK\nl: 0\n\n"), 65535)
	f.Add([]byte("A\r\nl: 99999999999999999999\r\n\r\n"), 10)
	f.Fuzz(func(t *testing.T, b []byte, maxSize int) {
		if maxSize < 0 {
			maxSize = -maxSize
		}
		k, _ := SkipKeepalive(b)
		if k < 0 || k > len(b) {
			t.Fatalf("SkipKeepalive = %d for len %d", k, len(b))
		}
		n, err := FrameStream(b, maxSize)
		if n < 0 || n > len(b) {
			t.Fatalf("FrameStream = %d for len %d", n, len(b))
		}
		if err != nil && n != 0 {
			t.Fatalf("n=%d with error %v", n, err)
		}
		if n > 0 {
			if n > maxSize {
				t.Fatalf("n=%d over maxSize %d", n, maxSize)
			}
			// A message split anywhere is only framed once whole.
			if n <= 2048 {
				for i := 0; i < n; i++ {
					if k, err := FrameStream(b[:i], maxSize); k != 0 || err != nil {
						t.Fatalf("prefix of %d bytes of a %d-byte message: %d, %v", i, n, k, err)
					}
				}
			}
			// Framing is stable: more bytes after a message do not change it.
			n2, err2 := FrameStream(append(b[:n:n], "X\r\n"...), maxSize)
			if n2 != n || err2 != nil {
				t.Fatalf("with trailing bytes: %d, %v; want %d", n2, err2, n)
			}
		}
	})
}
