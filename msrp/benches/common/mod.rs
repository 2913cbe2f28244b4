//! The streams the `parser` and `allocs` benches share, so both measure the
//! same bytes.

use bytes::Bytes;
use msrp::{Chunk, ChunkHead, Flag, Method};

/// Sixteen SEND chunks of 64 KiB each (one message, pseudo-random bodies
/// full of CR, LF and `-`), about 1 MiB.
pub(crate) fn stream() -> Bytes {
    let mut out = Vec::new();
    for i in 0..16u32 {
        let tid = format!("tid{i:05}x");
        let mut head = ChunkHead::request(&tid, Method::SEND).unwrap();
        head.headers
            .push("To-Path", "msrp://bob.example.com:8888/9di4ea;tcp")
            .unwrap();
        head.headers
            .push("From-Path", "msrp://alice.example.com:7654/iau39;tcp")
            .unwrap();
        head.headers.push("Message-ID", "12339sdqwer").unwrap();
        head.headers
            .push(
                "Byte-Range",
                format!("{}-{}/*", i * 65536 + 1, (i + 1) * 65536),
            )
            .unwrap();
        head.headers
            .push("Content-Type", "application/octet-stream")
            .unwrap();
        head.has_body = true;
        // Pseudo-random body with plenty of CR, LF and '-' bytes.
        let mut x = 0x1234_5678u32 ^ i;
        let body: Vec<u8> = (0..65536)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                match x % 16 {
                    0 => b'\r',
                    1 => b'\n',
                    2 => b'-',
                    _ => x as u8,
                }
            })
            .collect();
        let flag = if i == 15 { Flag::Complete } else { Flag::More };
        out.extend_from_slice(
            &Chunk {
                head,
                body: body.into(),
                flag,
            }
            .to_bytes()
            .unwrap(),
        );
    }
    Bytes::from(out)
}

/// The RFC example exchanges of the shared corpus as one stream (every
/// `.msrp` file but the one the RFC prints without its end-line).
pub(crate) fn corpus() -> Bytes {
    let mut all = Vec::new();
    for (name, bytes) in testkit::vectors("msrp", ".msrp") {
        if !name.contains("NO-END-LINE") {
            all.extend_from_slice(&bytes);
        }
    }
    Bytes::from(all)
}
