//! Named random streams.
//!
//! Architecture Invariant: every random draw comes from a ChaCha8 stream keyed by
//! (seed, run, stream id) and repositioned per tick, never from a shared or
//! thread-local generator. The lens is *not* part of the key, so run k of every
//! lens sees the same numbers (common random numbers).
//!
//! The streams are `rand_chacha`'s `ChaCha8Rng`. Systems that take a sub-stream per state or
//! pact member and read fewer than 16 words of it ([`RunKey::first_blocks`]) get those words
//! from the same cipher computed by comity for many sub-streams at once
//! ([`crate::sim::kernels::chacha8_blocks`]), because `ChaCha8Rng` computes four blocks each
//! time it is positioned. The tests check the words against `rand_chacha`'s on every CPU
//! path, so the numbers are the same.

use crate::sim::kernels::{CHACHA_LANES, ChachaGroup, chacha8_blocks};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The named streams. Their numeric ids are part of the reproducibility
/// contract: changing one changes every result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    Events = 1,
    Capabilities = 2,
    Norms = 3,
    Onset = 4,
    Escalation = 5,
    Honour = 6,
    PactExit = 7,
    AllianceSearch = 8,
}

/// Words reserved per tick in a stream (2^44, far more than any tick draws).
const TICK_SHIFT: u32 = 44;
/// Words reserved per sub-stream inside a tick (4096).
const SUB_SHIFT: u32 = 12;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key of one run's streams.
#[derive(Clone, Copy, Debug)]
pub struct RunKey {
    seed: [u8; 32],
}

impl RunKey {
    pub fn new(seed: u64, run: u64) -> RunKey {
        let mut state = seed ^ splitmix64(&mut run.wrapping_mul(0xA24B_AED4_963E_E407).clone());
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        RunKey { seed: bytes }
    }

    /// A stream positioned at the start of `tick`'s block: draws are sequential from there.
    pub fn at_tick(&self, stream: Stream, tick: u32) -> Draws {
        self.at(stream, tick, 0)
    }

    /// The key as ChaCha's eight little-endian key words.
    fn key_words(&self) -> [u32; 8] {
        std::array::from_fn(|w| u32::from_le_bytes(self.seed[4 * w..4 * w + 4].try_into().expect("4 bytes")))
    }

    /// A sub-stream of `tick` (e.g. one per dyad or per dispute): it does not
    /// depend on how many draws other sub-streams made.
    pub fn at(&self, stream: Stream, tick: u32, sub: u32) -> Draws {
        let mut subs = self.subs(stream, tick);
        subs.at(sub);
        subs.draws
    }

    /// The first block (16 words: 8 uniforms) of each sub-stream `subs[k]` of `stream` in `tick`,
    /// computed together ([`chacha8_blocks`]): [`FirstBlocks::draws`] gives
    /// the same numbers as [`RunKey::at`], for a system that takes a sub-stream per state or
    /// member and few draws from each.
    pub fn first_blocks(&self, stream: Stream, tick: u32, subs: Vec<u32>) -> FirstBlocks {
        let counters: Vec<u64> = subs.iter().map(|&sub| first_block(tick, sub)).collect();
        let mut blocks = Vec::new();
        chacha8_blocks(&self.key_words(), stream as u64, &counters, &mut blocks);
        FirstBlocks {
            key: *self,
            stream,
            tick,
            subs,
            blocks,
        }
    }

    /// The sub-streams of `stream` in `tick`, from `rand_chacha`: [`Subs::at`] gives the same
    /// numbers as [`RunKey::at`] (which is one of them), without keying the cipher again. A
    /// sub-stream read past its first block ([`BlockDraws`]) goes on from here.
    pub fn subs(&self, stream: Stream, tick: u32) -> Subs {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(stream as u64);
        Subs {
            draws: Draws { rng },
            tick,
        }
    }
}

/// One stream's sub-streams in one tick ([`RunKey::subs`]).
pub struct Subs {
    /// Keyed and on the stream; positioned anew by each [`Subs::at`].
    draws: Draws,
    tick: u32,
}

impl Subs {
    /// Sub-stream `sub`, the same numbers as [`RunKey::at`]: the one generator, positioned at
    /// the sub-stream's first word. Positioning sets the block counter and discards what the
    /// buffer held, so nothing drawn from an earlier sub-stream carries over.
    pub fn at(&mut self, sub: u32) -> &mut Draws {
        self.at_word(sub, 0)
    }

    /// Sub-stream `sub` from its word `offset` on.
    fn at_word(&mut self, sub: u32, offset: u32) -> &mut Draws {
        self.draws
            .rng
            .set_word_pos(word_pos(self.tick, sub) + u128::from(offset));
        &mut self.draws
    }
}

/// The first word of sub-stream `sub` of `tick`.
fn word_pos(tick: u32, sub: u32) -> u128 {
    (u128::from(tick) << TICK_SHIFT) | (u128::from(sub) << SUB_SHIFT)
}

/// The ChaCha block counter at that word (16 words a block; `ChaCha8Rng::set_word_pos` takes
/// the same quotient, as a `u64`).
fn first_block(tick: u32, sub: u32) -> u64 {
    (word_pos(tick, sub) / 16) as u64
}

/// The first blocks of many sub-streams of one stream and tick ([`RunKey::first_blocks`]).
pub struct FirstBlocks {
    key: RunKey,
    stream: Stream,
    tick: u32,
    subs: Vec<u32>,
    blocks: Vec<ChachaGroup>,
}

impl FirstBlocks {
    /// The draws of sub-stream `subs[k]`: the same numbers as `RunKey::at(stream, tick,
    /// subs[k])`. The first 8 uniforms come from the block computed; a ninth and later ones
    /// from `rand_chacha`, positioned after the block.
    pub fn draws(&self, k: usize) -> BlockDraws<'_> {
        BlockDraws {
            blocks: self,
            k,
            next: 0,
            rest: None,
        }
    }
}

/// One sub-stream's draws from its first block ([`FirstBlocks::draws`]).
pub struct BlockDraws<'a> {
    blocks: &'a FirstBlocks,
    k: usize,
    /// The next word of the block to read.
    next: usize,
    /// The generator for words past the block, made when the first is needed (boxed: it is
    /// large, and rarely made).
    rest: Option<Box<Subs>>,
}

impl BlockDraws<'_> {
    /// Uniform in [0, 1) with 53 random bits: the next `next_u64` of the sub-stream (its low
    /// word first, as `rand_chacha` reads them).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        let (group, lane) = (&self.blocks.blocks[self.k / CHACHA_LANES], self.k % CHACHA_LANES);
        if self.next + 2 <= group.len() {
            let word = u64::from(group[self.next][lane]) | (u64::from(group[self.next + 1][lane]) << 32);
            self.next += 2;
            return unit(word);
        }
        self.past_block()
    }

    /// A uniform past the first block, from `rand_chacha` positioned there.
    #[cold]
    #[inline(never)]
    fn past_block(&mut self) -> f64 {
        let b = self.blocks;
        let k = self.k;
        let rest = self.rest.get_or_insert_with(|| {
            let mut subs = Box::new(b.key.subs(b.stream, b.tick));
            subs.at_word(b.subs[k], 16);
            subs
        });
        rest.draws.uniform()
    }

    /// Standard normal by Box-Muller; always consumes two uniforms (as [`Draws::normal`]).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        crate::sim::mechanisms::box_muller(u1, u2)
    }
}

/// A uniform in [0, 1) from the top 53 bits of a word. The 53-bit integer converts exactly
/// either way; converted as a signed integer it is one instruction on x86-64 (an unsigned
/// 64-bit conversion is a branch and two).
#[inline(always)]
fn unit(word: u64) -> f64 {
    ((word >> 11) as i64) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A positioned stream.
pub struct Draws {
    rng: ChaCha8Rng,
}

impl Draws {
    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        unit(self.rng.next_u64())
    }

    /// `len` pairs of uniforms at once: the same numbers as `len` times (`uniform()`,
    /// `uniform()`), the first of each pair into `first` and the second into `second` (both
    /// cleared first). `bytes` is a buffer kept by the caller. The stream's words are read in
    /// one pass (`fill_bytes` gives the words `next_u64` reads, in the same order, as
    /// little-endian bytes), then converted in a loop without calls, which is what makes
    /// dispute onset's draws cheap.
    pub fn uniform_pairs(&mut self, len: usize, bytes: &mut Vec<u8>, first: &mut Vec<f64>, second: &mut Vec<f64>) {
        bytes.resize(16 * len, 0);
        self.rng.fill_bytes(&mut bytes[..16 * len]);
        first.clear();
        first.resize(len, 0.0);
        second.clear();
        second.resize(len, 0.0);
        for ((pair, a), b) in bytes[..16 * len]
            .chunks_exact(16)
            .zip(first.iter_mut())
            .zip(second.iter_mut())
        {
            let (x, y) = pair.split_at(8);
            *a = unit(u64::from_le_bytes(x.try_into().expect("8 bytes")));
            *b = unit(u64::from_le_bytes(y.try_into().expect("8 bytes")));
        }
    }

    /// Standard normal by Box-Muller; always consumes two uniforms.
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        crate::sim::mechanisms::box_muller(u1, u2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let k = RunKey::new(7, 3);
        let a: Vec<f64> = {
            let mut d = k.at_tick(Stream::Onset, 5);
            (0..4).map(|_| d.uniform()).collect()
        };
        let b: Vec<f64> = {
            let mut d = k.at_tick(Stream::Onset, 5);
            (0..4).map(|_| d.uniform()).collect()
        };
        assert_eq!(a, b);
        let c = k.at_tick(Stream::Onset, 6).uniform();
        let d = k.at_tick(Stream::Escalation, 5).uniform();
        let e = RunKey::new(7, 4).at_tick(Stream::Onset, 5).uniform();
        let f = RunKey::new(8, 3).at_tick(Stream::Onset, 5).uniform();
        for x in [c, d, e, f] {
            assert_ne!(x, a[0]);
        }
        assert!(a.iter().all(|x| (0.0..1.0).contains(x)));
    }

    /// comity's ChaCha8 blocks are `rand_chacha`'s words, on every CPU path: keys from several
    /// runs, streams with a high word, counters with a high word, and counts that do not fill
    /// the eight lanes.
    #[test]
    fn chacha8_blocks_are_rand_chachas_words_on_every_path() {
        use crate::sim::kernels::{CpuPath, current_path, use_path};
        let before = current_path();
        let mut out = Vec::new();
        for path in CpuPath::ALL.into_iter().filter(|p| p.available()) {
            use_path(path).unwrap();
            for (seed, run) in [(0, 0), (7, 3), (u64::MAX, 99)] {
                let key = RunKey::new(seed, run);
                let words = key.key_words();
                for stream in [0u64, 7, 0x1234_5678_9abc_def0] {
                    for len in [0usize, 1, 7, 8, 9, 17] {
                        let counters: Vec<u64> = (0..len as u64)
                            .map(|c| c.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (c % 40))
                            .collect();
                        chacha8_blocks(&words, stream, &counters, &mut out);
                        assert_eq!(out.len(), len.div_ceil(8));
                        for (k, &counter) in counters.iter().enumerate() {
                            let mut rng = ChaCha8Rng::from_seed(key.seed);
                            rng.set_stream(stream);
                            rng.set_word_pos(u128::from(counter) * 16);
                            let expected: Vec<u32> = (0..16).map(|_| rng.next_u32()).collect();
                            let block: Vec<u32> = (0..16).map(|w| out[k / 8][w][k % 8]).collect();
                            assert_eq!(
                                block, expected,
                                "{path:?} seed {seed} stream {stream} counter {counter}"
                            );
                        }
                    }
                }
            }
        }
        use_path(before).unwrap();
    }

    /// A sub-stream read from its first block gives `RunKey::at`'s numbers: uniforms and normals,
    /// within the block and past it (the ninth uniform on), for subs in any order and repeated.
    #[test]
    fn first_blocks_are_the_sub_streams_of_at() {
        let k = RunKey::new(5, 2);
        let subs = [0, 3, 3, 1_000_003, u32::MAX, 7, 2, 9, 11, 4];
        for (stream, tick) in [
            (Stream::Norms, 0),
            (Stream::PactExit, 31),
            (Stream::AllianceSearch, 1 << 20),
        ] {
            let blocks = k.first_blocks(stream, tick, subs.to_vec());
            for (i, &sub) in subs.iter().enumerate() {
                for len in [0, 1, 8, 9, 20] {
                    let mut a = blocks.draws(i);
                    let mut b = k.at(stream, tick, sub);
                    for d in 0..len {
                        assert_eq!(
                            a.uniform().to_bits(),
                            b.uniform().to_bits(),
                            "{stream:?} sub {sub} draw {d}"
                        );
                    }
                    assert_eq!(
                        a.normal().to_bits(),
                        b.normal().to_bits(),
                        "{stream:?} sub {sub} after {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn substreams_do_not_depend_on_neighbours() {
        let k = RunKey::new(1, 1);
        let mut s0 = k.at(Stream::Escalation, 2, 0);
        for _ in 0..100 {
            s0.uniform();
        }
        let direct = k.at(Stream::Escalation, 2, 1).uniform();
        let again = k.at(Stream::Escalation, 2, 1).uniform();
        assert_eq!(direct, again);
    }

    #[test]
    fn subs_are_the_sub_streams_of_at() {
        let k = RunKey::new(3, 8);
        for stream in [Stream::Capabilities, Stream::PactExit] {
            let mut subs = k.subs(stream, 17);
            // in any order, after others were drawn from (partly, past a buffer, or not at
            // all), and again
            for (sub, len) in [(5, 70), (0, 1), (1_000_003, 0), (5, 3), (u32::MAX, 70), (9, 0), (0, 2)] {
                let a = subs.at(sub);
                let mut b = k.at(stream, 17, sub);
                for _ in 0..len {
                    assert_eq!(a.uniform().to_bits(), b.uniform().to_bits(), "{stream:?} sub {sub}");
                }
            }
        }
    }

    #[test]
    fn uniform_pairs_are_the_single_draws_in_order() {
        let k = RunKey::new(11, 2);
        let (mut bytes, mut first, mut second) = (Vec::new(), vec![9.0], Vec::new());
        // Lengths across ChaCha's 64-word buffers, after an odd number of words (a `u64` that
        // straddles two buffers) and from a fresh stream.
        for (skip, len) in [(0, 0), (0, 1), (0, 33), (1, 17), (31, 40), (3, 200)] {
            let mut single = k.at(Stream::Onset, 4, 9);
            let mut bulk = k.at(Stream::Onset, 4, 9);
            for _ in 0..skip {
                single.rng.next_u32();
                bulk.rng.next_u32();
            }
            let expected: Vec<(u64, u64)> = (0..len)
                .map(|_| (single.uniform().to_bits(), single.uniform().to_bits()))
                .collect();
            bulk.uniform_pairs(len, &mut bytes, &mut first, &mut second);
            let got: Vec<(u64, u64)> = first
                .iter()
                .zip(&second)
                .map(|(a, b)| (a.to_bits(), b.to_bits()))
                .collect();
            assert_eq!(got, expected, "skip {skip}, len {len}");
            // and the stream goes on where the single draws left it
            assert_eq!(
                bulk.uniform().to_bits(),
                single.uniform().to_bits(),
                "skip {skip}, len {len}"
            );
        }
    }

    #[test]
    fn unit_is_the_unsigned_conversion() {
        let mut d = RunKey::new(2, 2).at_tick(Stream::Events, 1);
        let edges = [0, 1, 2047, 2048, 1 << 63, (1 << 63) - 1, u64::MAX, u64::MAX - 2047];
        for w in edges.into_iter().chain((0..10_000).map(|_| d.rng.next_u64())) {
            let unsigned = (w >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
            assert_eq!(unit(w).to_bits(), unsigned.to_bits(), "{w}");
            assert!((0.0..1.0).contains(&unit(w)));
        }
    }

    #[test]
    fn uniform_mean_is_a_half() {
        let mut d = RunKey::new(0, 0).at_tick(Stream::Norms, 0);
        let n = 20000;
        let mean = (0..n).map(|_| d.uniform()).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }
}
