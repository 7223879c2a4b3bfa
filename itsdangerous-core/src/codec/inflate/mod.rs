//! A pure-Rust zlib inflater for the hot path of loading cookies.
//!
//! zlib's `inflate` pays a fixed cost per dynamic block (building 9-bit root
//! tables with `inflate_table`, window setup) that dominates payloads of a few
//! hundred bytes. This decoder sizes its tables by the longest code actually
//! used and builds them by doubling, and writes straight into the output.
//!
//! It is a fast path only: [`inflate_zlib`] returns a result only for streams
//! it fully validated and that libz would inflate to exactly the same bytes.
//! Anything unusual (every error, but also some streams zlib accepts, such as
//! incomplete distance codes) is declined with `None`, and the caller falls
//! back to libz for the exact behaviour and error.

mod huffman;

use std::cell::RefCell;
use std::sync::OnceLock;

use huffman::{
    code_bits, extra_bits, value, CodeLengths, HuffmanTable, CODE_LENGTH_SYMBOLS, DISTANCE_SYMBOLS,
    END_OF_BLOCK, INVALID, LITERAL, LITLEN_SYMBOLS,
};

use crate::codec::deflate::adler32;

/// Index bits of the literal/length table: 1024 entries at most, so a
/// table costs at most 4 KiB to fill, and longer codes are rare symbols.
const LITLEN_ROOT_BITS: u32 = 10;
const DISTANCE_ROOT_BITS: u32 = 8;
/// Code-length codes are at most 7 bits: never a long code.
const CODE_LENGTH_ROOT_BITS: u32 = 7;

/// Order in which the code-length code lengths are stored (RFC 1951 3.2.7).
const CODE_LENGTH_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Inflates the zlib stream at the start of `input` (bytes after its end are
/// ignored, as `zlib.decompress` does). Returns `Some(output)` only when the
/// stream is complete and valid, its output is at most `max_output` bytes,
/// and libz would return the same bytes; `None` means "ask libz", which
/// includes every error and a few unusual streams that libz accepts.
pub fn inflate_zlib(input: &[u8], max_output: usize) -> Option<Vec<u8>> {
    thread_local! {
        // ~15 KiB of tables, reused so a call only fills the entries it uses.
        static TABLES: RefCell<Option<Box<DynamicTables>>> = const { RefCell::new(None) };
    }
    TABLES
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => {
                let tables = slot.get_or_insert_with(|| Box::new(DynamicTables::new()));
                inflate_with(tables, input, max_output)
            }
            Err(_) => inflate_with(&mut Box::new(DynamicTables::new()), input, max_output),
        })
        .unwrap_or_else(|_| inflate_with(&mut Box::new(DynamicTables::new()), input, max_output))
}

struct DynamicTables {
    litlen: HuffmanTable,
    distance: HuffmanTable,
    code_length: HuffmanTable,
    litlen_lengths: CodeLengths<5>,
    distance_lengths: CodeLengths<1>,
}

impl DynamicTables {
    const fn new() -> Self {
        DynamicTables {
            litlen: HuffmanTable::new(),
            distance: HuffmanTable::new(),
            code_length: HuffmanTable::new(),
            litlen_lengths: CodeLengths::new(),
            distance_lengths: CodeLengths::new(),
        }
    }
}

struct FixedTables {
    litlen: HuffmanTable,
    distance: HuffmanTable,
}

fn fixed_tables() -> &'static FixedTables {
    static FIXED: OnceLock<Box<FixedTables>> = OnceLock::new();
    FIXED.get_or_init(|| {
        let mut tables = Box::new(FixedTables {
            litlen: HuffmanTable::new(),
            distance: HuffmanTable::new(),
        });
        // Fixed codes are complete (symbols 286, 287, 30, 31 decode to INVALID).
        let litlen = CodeLengths::<5>::from_lengths(&huffman::fixed_litlen_lengths());
        tables
            .litlen
            .build(&litlen, &LITLEN_SYMBOLS, 9)
            .expect("fixed literal/length code is complete");
        let distance = CodeLengths::<1>::from_lengths(&[5; 32]);
        tables
            .distance
            .build(&distance, &DISTANCE_SYMBOLS, 5)
            .expect("fixed distance code is complete");
        tables
    })
}

fn inflate_with(tables: &mut DynamicTables, input: &[u8], max_output: usize) -> Option<Vec<u8>> {
    let (out, trailer_at) = decode_stream(tables, input, max_output)?;
    let trailer = input.get(trailer_at..trailer_at + 4)?;
    (adler32(&out) == u32::from_be_bytes(trailer.try_into().ok()?)).then_some(out)
}

/// The stream up to its checksum: the output and where the checksum starts.
#[cfg(test)]
fn inflate_body(input: &[u8], max_output: usize) -> Option<(Vec<u8>, usize)> {
    decode_stream(&mut Box::new(DynamicTables::new()), input, max_output)
}

/// Header and blocks: the output and the offset of the Adler-32 trailer.
fn decode_stream(
    tables: &mut DynamicTables,
    input: &[u8],
    max_output: usize,
) -> Option<(Vec<u8>, usize)> {
    let (&cmf, &flg) = (input.first()?, input.get(1)?);
    // Deflate with a 32 KiB window, valid header check, no preset dictionary.
    // Smaller windows (CINFO < 7) are legal but zlib never writes them here.
    if cmf != 0x78 || (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 || flg & 0x20 != 0 {
        return None;
    }
    let mut inflater = Inflater {
        bits: BitReader {
            input,
            pos: 2,
            buffer: 0,
            count: 0,
        },
        out: Vec::new(),
        written: 0,
        max_output,
    };
    // Cookies deflate 1.3-4x; start at 4x and double when that is not enough.
    let initial = input.len().saturating_mul(4).max(256).min(max_output);
    inflater.out = vec![0; initial];

    loop {
        inflater.bits.refill()?;
        let header = inflater.bits.peek(3) as u32;
        inflater.bits.consume(3);
        match header >> 1 {
            0 => inflater.stored_block()?,
            1 => {
                let fixed = fixed_tables();
                inflater.huffman_block(&fixed.litlen, &fixed.distance)?;
            }
            2 => {
                inflater.bits.read_dynamic_tables(tables)?;
                inflater.huffman_block(&tables.litlen, &tables.distance)?;
            }
            _ => return None,
        }
        if header & 1 == 1 {
            break;
        }
    }

    // The Adler-32 trailer starts at the next byte boundary.
    let trailer_at = inflater.bits.align_to_byte()?;
    let mut out = inflater.out;
    out.truncate(inflater.written);
    Some((out, trailer_at))
}

/// Deflate's bit stream, least significant bit first. Copied into a local
/// in hot loops so its fields stay in registers.
#[derive(Clone, Copy)]
struct BitReader<'a> {
    input: &'a [u8],
    /// Next input byte to load into the buffer. May pass the end of the
    /// input by a few bytes: those read as zeros, and any stream that
    /// actually consumes them is caught as truncated (see `align_to_byte`).
    pos: usize,
    /// Unconsumed bits, next bit lowest. Bits above `count` are either zero
    /// or the true next input bits, so or-ing a reload in is harmless.
    buffer: u64,
    count: u32,
}

/// After a refill, at least this many bits are buffered: enough for a whole
/// match (15-bit length code, 5 extra bits, 15-bit distance code, 13 extra).
const REFILLED_BITS: u32 = 56;

/// A truncated stream reads zeros past the end; past this many the stream
/// has certainly consumed some, so stop there instead of decoding garbage.
const MAX_OVERRUN: usize = 8;

impl BitReader<'_> {
    /// Tops the buffer up to at least [`REFILLED_BITS`] bits if 8 input bytes
    /// remain; returns false otherwise.
    #[inline(always)]
    fn refill_fast(&mut self) -> bool {
        match self
            .input
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<8>())
        {
            Some(word) => {
                // Load 8 bytes, keep the whole bytes that fit (7 when empty).
                let word = u64::from_le_bytes(*word);
                self.buffer |= word << self.count;
                self.pos += (63 - self.count as usize) >> 3;
                self.count |= REFILLED_BITS;
                true
            }
            None => false,
        }
    }

    /// Tops the buffer up to at least [`REFILLED_BITS`] bits.
    #[inline(always)]
    fn refill(&mut self) -> Option<()> {
        if self.refill_fast() {
            Some(())
        } else {
            self.refill_near_end()
        }
    }

    #[inline(never)]
    fn refill_near_end(&mut self) -> Option<()> {
        while self.count < REFILLED_BITS {
            let byte = match self.input.get(self.pos) {
                Some(&byte) => byte,
                None if self.pos < self.input.len() + MAX_OVERRUN => 0,
                None => return None,
            };
            self.buffer |= u64::from(byte) << self.count;
            self.count += 8;
            self.pos += 1;
        }
        Some(())
    }

    #[inline(always)]
    fn peek(&self, n: u32) -> u64 {
        self.buffer & ((1u64 << n) - 1)
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buffer >>= n;
        self.count -= n;
    }

    /// Drops a table entry's code bits. The entry's bits 4..6 are zero, so
    /// the shift can take the entry as is (x86 masks shift counts to 6 bits),
    /// keeping a masking step off the decode loop's critical path.
    #[inline(always)]
    fn consume_entry(&mut self, entry: u32) {
        self.buffer = self.buffer.wrapping_shr(entry);
        self.count -= code_bits(entry);
    }

    /// Drops the bits up to the next byte boundary and returns the offset of
    /// that byte in the input, or None if the stream read past the input.
    fn align_to_byte(&mut self) -> Option<usize> {
        self.consume(self.count % 8);
        let at = self.pos - (self.count / 8) as usize;
        (at <= self.input.len()).then_some(at)
    }

    /// Reads a dynamic block's code lengths and builds its two tables.
    fn read_dynamic_tables(&mut self, tables: &mut DynamicTables) -> Option<()> {
        let mut bits = *self;
        bits.refill()?;
        let litlen_count = bits.peek(5) as usize + 257;
        let distance_count = (bits.peek(10) >> 5) as usize + 1;
        let code_length_count = (bits.peek(14) >> 10) as usize + 4;
        bits.consume(14);
        if litlen_count > 286 || distance_count > 30 {
            return None;
        }

        let mut code_length_lengths = [0u8; 19];
        for &symbol in &CODE_LENGTH_ORDER[..code_length_count] {
            if bits.count < 3 {
                bits.refill()?;
            }
            code_length_lengths[symbol] = bits.peek(3) as u8;
            bits.consume(3);
        }
        let code_length = &mut tables.code_length;
        let used = CodeLengths::<1>::from_lengths(&code_length_lengths);
        code_length.build(&used, &CODE_LENGTH_SYMBOLS, CODE_LENGTH_ROOT_BITS)?;

        // Literal/length and distance lengths form one sequence: a repeat
        // may run from one into the other. Each goes to its code's
        // per-length symbol sets.
        let (litlen_lengths, distance_lengths) =
            (&mut tables.litlen_lengths, &mut tables.distance_lengths);
        litlen_lengths.clear();
        distance_lengths.clear();
        let total = litlen_count + distance_count;
        let mut index = 0;
        let mut previous = 0;
        while index < total {
            // A code-length code is at most 7 bits, with at most 7 extra.
            if bits.count < 14 {
                bits.refill()?;
            }
            let entry = code_length.lookup(bits.buffer);
            bits.consume_entry(entry);
            let symbol = value(entry) & 0xff;
            let extra = extra_bits(entry);
            let repeat = (value(entry) >> 8) as usize + bits.peek(extra) as usize;
            bits.consume(extra);
            // 0..=15: a length; 16: repeat the previous one; 17, 18: zeros.
            let length = match symbol {
                0..=15 => symbol as u8,
                16 => previous,
                _ => 0,
            };
            if symbol == 16 && index == 0 {
                return None;
            }
            if index + repeat > total {
                return None;
            }
            if repeat == 1 {
                if index < litlen_count {
                    litlen_lengths.push(index, length);
                } else {
                    distance_lengths.push(index - litlen_count, length);
                }
            } else if length != 0 {
                for i in index..index + repeat {
                    if i < litlen_count {
                        litlen_lengths.push(i, length);
                    } else {
                        distance_lengths.push(i - litlen_count, length);
                    }
                }
            }
            previous = length;
            index += repeat;
        }
        *self = bits;
        // zlib rejects a block without an end-of-block code.
        if !litlen_lengths.contains(256) {
            return None;
        }
        tables
            .litlen
            .build(litlen_lengths, &LITLEN_SYMBOLS, LITLEN_ROOT_BITS)?;
        tables
            .distance
            .build(distance_lengths, &DISTANCE_SYMBOLS, DISTANCE_ROOT_BITS)?;
        Some(())
    }
}

struct Inflater<'a> {
    bits: BitReader<'a>,
    /// Output buffer: `written` bytes are output, the rest is scratch space
    /// (zeroed or overwritten by overlong match copies). Never longer than
    /// `max_output`.
    out: Vec<u8>,
    written: usize,
    max_output: usize,
}

/// Longest match.
const MAX_MATCH: usize = 258;

/// With this much output room left, one step of the fast loop (a match, or
/// up to three literals) needs no room check.
const FAST_LOOP_ROOM: usize = MAX_MATCH + 8;

#[derive(PartialEq, Eq)]
enum BlockEnd {
    NotYet,
    Done,
}

impl Inflater<'_> {
    /// Makes room for `n` more output bytes, declining past `max_output`.
    #[inline(always)]
    fn reserve(&mut self, n: usize) -> Option<()> {
        if self.written + n <= self.out.len() {
            Some(())
        } else {
            self.grow(n)
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) -> Option<()> {
        let needed = self.written.checked_add(n)?;
        if needed > self.max_output {
            return None;
        }
        let new_len = needed
            .max(self.out.len().saturating_mul(2))
            .min(self.max_output);
        // Exact, so the allocation too stays within max_output.
        self.out.reserve_exact(new_len - self.out.len());
        self.out.resize(new_len, 0);
        Some(())
    }

    fn stored_block(&mut self) -> Option<()> {
        let input = self.bits.input;
        let at = self.bits.align_to_byte()?;
        let header = input.get(at..at + 4)?;
        let len = u16::from_le_bytes([header[0], header[1]]);
        let nlen = u16::from_le_bytes([header[2], header[3]]);
        if len != !nlen {
            return None;
        }
        let len = len as usize;
        let data = input.get(at + 4..at + 4 + len)?;
        self.reserve(len)?;
        self.out[self.written..self.written + len].copy_from_slice(data);
        self.written += len;
        // Restart the bit buffer after the copied bytes.
        self.bits = BitReader {
            input,
            pos: at + 4 + len,
            buffer: 0,
            count: 0,
        };
        Some(())
    }

    /// Decodes one block's symbols up to its end-of-block code.
    fn huffman_block(&mut self, litlen: &HuffmanTable, distance: &HuffmanTable) -> Option<()> {
        loop {
            if self.decode_fast(litlen, distance)? == BlockEnd::Done {
                return Some(());
            }
            // Near the end of the input or of the output buffer: one symbol
            // with every check, then try the fast loop again.
            if self.out.len() - self.written < FAST_LOOP_ROOM && self.out.len() < self.max_output {
                self.grow(FAST_LOOP_ROOM.min(self.max_output - self.written))?;
            }
            if self.decode_symbol(litlen, distance)? == BlockEnd::Done {
                return Some(());
            }
        }
    }

    /// Decodes symbols while at least 8 input bytes and [`FAST_LOOP_ROOM`]
    /// bytes of output room remain, so neither needs checking per symbol.
    /// The state lives in locals: stores to the output could otherwise alias
    /// `self`'s fields, keeping them in memory.
    #[inline(always)]
    fn decode_fast(&mut self, litlen: &HuffmanTable, distance: &HuffmanTable) -> Option<BlockEnd> {
        let mut bits = self.bits;
        let out = &mut self.out[..];
        let mut written = self.written;
        if !bits.refill_fast() {
            return Some(BlockEnd::NotYet);
        }
        // The next symbol's entry is looked up as soon as its bits are in
        // the buffer, before the refill that follows: the table load then
        // overlaps the input load instead of waiting for it. A refill only
        // adds bits above the buffered ones, so the entry stays valid.
        let mut entry = litlen.lookup(bits.buffer);
        let result = loop {
            if out.len() - written < FAST_LOOP_ROOM || !bits.refill_fast() {
                break Some(BlockEnd::NotYet);
            }
            if entry & LITERAL != 0 {
                // 56 buffered bits cover two literal codes of at most 15
                // bits and still hold the next code.
                bits.consume_entry(entry);
                out[written] = value(entry) as u8;
                written += 1;
                entry = litlen.lookup(bits.buffer);
                if entry & LITERAL != 0 {
                    bits.consume_entry(entry);
                    out[written] = value(entry) as u8;
                    written += 1;
                    entry = litlen.lookup(bits.buffer);
                }
                continue;
            }
            bits.consume_entry(entry);
            if entry & (END_OF_BLOCK | INVALID) != 0 {
                break (entry & END_OF_BLOCK != 0).then_some(BlockEnd::Done);
            }
            let extra = extra_bits(entry);
            let length = value(entry) as usize + bits.peek(extra) as usize;
            bits.consume(extra);

            let entry_distance = distance.lookup(bits.buffer);
            if entry_distance & INVALID != 0 {
                break None;
            }
            bits.consume_entry(entry_distance);
            let extra = extra_bits(entry_distance);
            let distance = value(entry_distance) as usize + bits.peek(extra) as usize;
            bits.consume(extra);
            // Nothing before the stream: zlib says "distance too far back".
            if distance > written {
                break None;
            }
            copy_match(out, written, distance, length);
            written += length;
            // A match may leave only 8 bits: refill before the next lookup.
            if !bits.refill_fast() {
                break Some(BlockEnd::NotYet);
            }
            entry = litlen.lookup(bits.buffer);
        };
        self.bits = bits;
        self.written = written;
        result
    }

    /// Decodes one literal, match or end of block, checking input and output.
    fn decode_symbol(
        &mut self,
        litlen: &HuffmanTable,
        distance: &HuffmanTable,
    ) -> Option<BlockEnd> {
        let bits = &mut self.bits;
        bits.refill()?;
        let entry = litlen.lookup(bits.buffer);
        bits.consume(code_bits(entry));
        if entry & LITERAL != 0 {
            self.reserve(1)?;
            self.out[self.written] = value(entry) as u8;
            self.written += 1;
            return Some(BlockEnd::NotYet);
        }
        if entry & (END_OF_BLOCK | INVALID) != 0 {
            return (entry & END_OF_BLOCK != 0).then_some(BlockEnd::Done);
        }
        let extra = extra_bits(entry);
        let length = value(entry) as usize + bits.peek(extra) as usize;
        bits.consume(extra);

        let entry = distance.lookup(bits.buffer);
        if entry & INVALID != 0 {
            return None;
        }
        bits.consume(code_bits(entry));
        let extra = extra_bits(entry);
        let distance = value(entry) as usize + bits.peek(extra) as usize;
        bits.consume(extra);
        if distance > self.written {
            return None;
        }
        self.reserve(length)?;
        copy_match(&mut self.out, self.written, distance, length);
        self.written += length;
        Some(BlockEnd::NotYet)
    }
}

/// Appends `length` bytes copied from `distance` bytes back at `at`; the
/// source may overlap the destination (a run). The caller reserved room.
#[inline(always)]
fn copy_match(out: &mut [u8], at: usize, distance: usize, length: usize) {
    let from = at - distance;
    if distance >= 8 && at + length + 8 <= out.len() {
        // Whole 8-byte words: each source word ends at or before its
        // destination starts, so it is already final. The last word may run
        // past `length` into scratch space, which later output overwrites.
        let end = at + length;
        let (mut src, mut dst) = (from, at);
        while dst < end {
            let word: [u8; 8] = out[src..src + 8].try_into().unwrap();
            out[dst..dst + 8].copy_from_slice(&word);
            src += 8;
            dst += 8;
        }
    } else if distance == 1 {
        let byte = out[from];
        out[at..at + length].fill(byte);
    } else {
        for i in 0..length {
            out[at + i] = out[from + i];
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod bench;
