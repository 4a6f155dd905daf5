//! A scan of the whole readable memory of the running process (`/proc/self/mem`) for a needle,
//! to prove that no stray copy of a secret survives.
//!
//! The scanner never holds the needle itself, only its bytes inverted: a scan that kept the
//! needle would find its own copy. Build the needle with [`Scanner::from_generator`], which
//! inverts each byte as it is produced, or hand [`Scanner::from_inverted`] bytes that are
//! already inverted.
//!
//! Linux only, and meaningful only in an optimised build (debug builds keep temporaries the
//! optimiser removes).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// How much memory one read takes in.
const CHUNK: usize = 1 << 20;

/// Byte `i` of the marker that `seed` names: a fixed generator (a SplitMix-style mix of the
/// seed and the index), so that a test can produce its marker one byte at a time, where it
/// needs it, instead of keeping a copy that a scan would find.
pub fn marker_byte(seed: u64, i: usize) -> u8 {
    let mut x = seed ^ (i as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    (x >> 40) as u8
}

/// Counts the places in readable memory where a needle lies, comparing each candidate against
/// the inverted copy it keeps instead of the needle.
pub struct Scanner {
    buf: Vec<u8>,
    /// Where the last scan found the needle (region name and count), for failure messages.
    places: Vec<String>,
    /// The needle's bytes inverted: what the scanner keeps in memory instead of the needle.
    inverted: Vec<u8>,
}

impl Scanner {
    /// A scanner for the needle of `len` bytes whose byte `i` is `byte(i)`: each byte is
    /// inverted as it is produced, so the needle is never assembled in memory.
    pub fn from_generator(len: usize, byte: impl Fn(usize) -> u8) -> Scanner {
        Scanner::from_inverted((0..len).map(|i| !byte(i)).collect())
    }

    /// A scanner for the needle whose bytes are the complements of `inverted`. Panics when the
    /// needle is empty or longer than a read.
    pub fn from_inverted(inverted: Vec<u8>) -> Scanner {
        assert!(
            !inverted.is_empty() && inverted.len() < CHUNK,
            "needle of {} bytes",
            inverted.len()
        );
        Scanner {
            buf: vec![0u8; CHUNK],
            places: Vec::new(),
            inverted,
        }
    }

    /// Where the last [`count`](Self::count) found the needle: one entry per memory region
    /// that holds it (`"N in NAME (PERMS)"`).
    pub fn places(&self) -> &[String] {
        &self.places
    }

    /// How many times the needle lies in the process's readable memory now.
    pub fn count(&mut self) -> usize {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
        let mut mem = File::open("/proc/self/mem").expect("/proc/self/mem");
        let mut found = 0;
        self.places.clear();
        for line in maps.lines() {
            let mut fields = line.split_whitespace();
            let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
                continue;
            };
            let path = fields.nth(3).unwrap_or("");
            if !perms.starts_with('r') || path == "[vvar]" || path == "[vsyscall]" {
                continue;
            }
            let Some((start, end)) = range.split_once('-') else {
                continue;
            };
            let start = u64::from_str_radix(start, 16).expect("start");
            let end = u64::from_str_radix(end, 16).expect("end");
            let here = self.scan_region(&mut mem, start, end);
            if here > 0 {
                let name = if path.is_empty() { "anonymous" } else { path };
                self.places.push(format!("{here} in {name} ({perms})"));
            }
            found += here;
        }
        found
    }

    fn scan_region(&mut self, mem: &mut File, start: u64, end: u64) -> usize {
        let len_needle = self.inverted.len();
        let step = (self.buf.len() - len_needle) as u64;
        let mut found = 0;
        let mut at = start;
        while at < end {
            let len = ((end - at) as usize).min(self.buf.len());
            let read = mem
                .seek(SeekFrom::Start(at))
                .and_then(|_| mem.read(&mut self.buf[..len]));
            let Ok(n) = read else { break };
            if n == 0 {
                break;
            }
            let chunk = &self.buf[..n];
            let last = n.saturating_sub(len_needle - 1);
            // Matches starting in the overlap are counted by the next chunk.
            let limit = if at + (n as u64) < end {
                last.min(step as usize)
            } else {
                last
            };
            for j in 0..limit {
                if chunk[j] ^ 0xff == self.inverted[0]
                    && chunk[j..j + len_needle]
                        .iter()
                        .zip(self.inverted.iter())
                        .all(|(b, inv)| b ^ 0xff == *inv)
                {
                    found += 1;
                }
            }
            // The chunk may hold the needle: wipe it before the next read or the next scan.
            self.buf.iter_mut().for_each(|b| *b = 0);
            std::hint::black_box(&self.buf);
            at += step;
        }
        found
    }

    /// Whether `hay` holds the needle (compared through the inverted copy).
    pub fn holds(&self, hay: &[u8]) -> bool {
        hay.windows(self.inverted.len()).any(|w| {
            w.iter()
                .zip(self.inverted.iter())
                .all(|(b, inv)| b ^ 0xff == *inv)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Scanner, marker_byte};

    const SEED: u64 = 0x0123_4567_89ab_cdef;
    const LEN: usize = 32;

    #[test]
    fn finds_a_needle_that_lies_in_memory_and_says_where() {
        let mut scanner = Scanner::from_generator(LEN, |i| marker_byte(SEED, i));
        let hay: Vec<u8> = (0..LEN).map(|i| marker_byte(SEED, i)).collect();
        assert!(scanner.holds(&hay));
        assert!(scanner.count() >= 1);
        assert!(!scanner.places().is_empty());
        std::hint::black_box(&hay);
    }

    #[test]
    fn holds_only_the_whole_needle() {
        let scanner = Scanner::from_generator(LEN, |i| marker_byte(SEED, i));
        let mut hay: Vec<u8> = (0..LEN).map(|i| marker_byte(SEED, i)).collect();
        assert!(!scanner.holds(&hay[1..]));
        assert!(!scanner.holds(&hay[..LEN - 1]));
        hay[LEN / 2] ^= 1;
        assert!(!scanner.holds(&hay));
        hay[LEN / 2] ^= 1;
        hay.insert(0, 0);
        assert!(scanner.holds(&hay));
    }

    #[test]
    fn markers_of_other_seeds_differ() {
        let a: Vec<u8> = (0..LEN).map(|i| marker_byte(SEED, i)).collect();
        let b: Vec<u8> = (0..LEN).map(|i| marker_byte(SEED + 1, i)).collect();
        assert_ne!(a, b);
        assert!(!Scanner::from_generator(LEN, |i| marker_byte(SEED + 1, i)).holds(&a));
    }
}
