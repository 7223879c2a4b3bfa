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
    HuffmanTable, CODE_LENGTH_SYMBOLS, DISTANCE_SYMBOLS, END_OF_BLOCK, INVALID, LITERAL,
    LITLEN_SYMBOLS,
};

use crate::deflate::adler32;

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
            Err(_) => inflate_with(&mut DynamicTables::new(), input, max_output),
        })
        .unwrap_or_else(|_| inflate_with(&mut DynamicTables::new(), input, max_output))
}

struct DynamicTables {
    litlen: HuffmanTable,
    distance: HuffmanTable,
    code_length: HuffmanTable,
}

impl DynamicTables {
    const fn new() -> Self {
        DynamicTables {
            litlen: HuffmanTable::new(),
            distance: HuffmanTable::new(),
            code_length: HuffmanTable::new(),
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
        tables
            .litlen
            .build(&huffman::fixed_litlen_lengths(), &LITLEN_SYMBOLS, 9)
            .expect("fixed literal/length code is complete");
        tables
            .distance
            .build(&[5; 32], &DISTANCE_SYMBOLS, 5)
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
        input,
        pos: 2,
        bit_buffer: 0,
        bit_count: 0,
        out: Vec::new(),
        written: 0,
        max_output,
    };
    // Cookies deflate 1.3-4x; start at 4x and double when that is not enough.
    let initial = input.len().saturating_mul(4).max(256).min(max_output);
    inflater.out.resize(initial, 0);

    loop {
        inflater.refill()?;
        let header = inflater.bits(3) as u32;
        inflater.drop_bits(3);
        match header >> 1 {
            0 => inflater.stored_block()?,
            1 => {
                let fixed = fixed_tables();
                inflater.huffman_block(&fixed.litlen, &fixed.distance)?;
            }
            2 => {
                inflater.read_dynamic_tables(tables)?;
                inflater.huffman_block(&tables.litlen, &tables.distance)?;
            }
            _ => return None,
        }
        if header & 1 == 1 {
            break;
        }
    }

    // The Adler-32 trailer starts at the next byte boundary.
    let trailer_at = inflater.byte_position()?;
    let mut out = inflater.out;
    out.truncate(inflater.written);
    Some((out, trailer_at))
}

struct Inflater<'a> {
    input: &'a [u8],
    /// Next input byte to load into the bit buffer. May pass the end of the
    /// input by a few bytes: those read as zeros, and any stream that
    /// actually consumes them is caught as truncated (see `byte_position`).
    pos: usize,
    /// Unconsumed bits, next bit lowest. Bits above `bit_count` are either
    /// zero or the true next input bits, so or-ing a reload in is harmless.
    bit_buffer: u64,
    bit_count: u32,
    /// Output buffer: `written` bytes are output, the rest is scratch space
    /// (zeroed or overwritten by overlong match copies). Never longer than
    /// `max_output`.
    out: Vec<u8>,
    written: usize,
    max_output: usize,
}

/// After `refill`, at least this many bits are buffered: enough for a whole
/// match (15-bit length code, 5 extra bits, 15-bit distance code, 13 extra).
const REFILLED_BITS: u32 = 56;

/// A truncated stream reads zeros past the end; past this many the stream
/// has certainly consumed some, so stop there instead of decoding garbage.
const MAX_OVERRUN: usize = 8;

impl Inflater<'_> {
    /// Tops the bit buffer up to at least [`REFILLED_BITS`] bits.
    #[inline(always)]
    fn refill(&mut self) -> Option<()> {
        if let Some(word) = self.input.get(self.pos..self.pos + 8) {
            // Load 8 bytes, keep the whole bytes that fit (7 when empty).
            let word = u64::from_le_bytes(word.try_into().unwrap());
            self.bit_buffer |= word << self.bit_count;
            self.pos += (63 - self.bit_count as usize) >> 3;
            self.bit_count |= REFILLED_BITS;
            Some(())
        } else {
            self.refill_near_end()
        }
    }

    #[inline(never)]
    fn refill_near_end(&mut self) -> Option<()> {
        while self.bit_count < REFILLED_BITS {
            let byte = match self.input.get(self.pos) {
                Some(&byte) => byte,
                None if self.pos < self.input.len() + MAX_OVERRUN => 0,
                None => return None,
            };
            self.bit_buffer |= u64::from(byte) << self.bit_count;
            self.bit_count += 8;
            self.pos += 1;
        }
        Some(())
    }

    #[inline(always)]
    fn bits(&self, n: u32) -> u64 {
        self.bit_buffer & ((1u64 << n) - 1)
    }

    #[inline(always)]
    fn drop_bits(&mut self, n: u32) {
        self.bit_buffer >>= n;
        self.bit_count -= n;
    }

    /// Drops the bits up to the next byte boundary and returns the offset of
    /// that byte in the input, or None if the stream read past the input.
    fn byte_position(&mut self) -> Option<usize> {
        self.drop_bits(self.bit_count % 8);
        let at = self.pos - (self.bit_count / 8) as usize;
        (at <= self.input.len()).then_some(at)
    }

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
        self.out.resize(new_len, 0);
        Some(())
    }

    fn stored_block(&mut self) -> Option<()> {
        let at = self.byte_position()?;
        let header = self.input.get(at..at + 4)?;
        let len = u16::from_le_bytes([header[0], header[1]]);
        let nlen = u16::from_le_bytes([header[2], header[3]]);
        if len != !nlen {
            return None;
        }
        let len = len as usize;
        let data = self.input.get(at + 4..at + 4 + len)?;
        self.reserve(len)?;
        self.out[self.written..self.written + len].copy_from_slice(data);
        self.written += len;
        // Restart the bit buffer after the copied bytes.
        self.pos = at + 4 + len;
        self.bit_buffer = 0;
        self.bit_count = 0;
        Some(())
    }

    /// Reads a dynamic block's code lengths and builds its two tables.
    fn read_dynamic_tables(&mut self, tables: &mut DynamicTables) -> Option<()> {
        self.refill()?;
        let litlen_count = self.bits(5) as usize + 257;
        let distance_count = (self.bits(10) >> 5) as usize + 1;
        let code_length_count = (self.bits(14) >> 10) as usize + 4;
        self.drop_bits(14);
        if litlen_count > 286 || distance_count > 30 {
            return None;
        }

        let mut code_length_lengths = [0u8; 19];
        for &symbol in &CODE_LENGTH_ORDER[..code_length_count] {
            self.refill()?;
            code_length_lengths[symbol] = self.bits(3) as u8;
            self.drop_bits(3);
        }
        tables.code_length.build(
            &code_length_lengths,
            &CODE_LENGTH_SYMBOLS,
            CODE_LENGTH_ROOT_BITS,
        )?;

        // Literal/length and distance lengths form one sequence: a repeat
        // may run from one into the other.
        let total = litlen_count + distance_count;
        let mut lengths = [0u8; 286 + 30];
        let mut filled = 0;
        while filled < total {
            self.refill()?;
            let entry = tables.code_length.lookup(self.bit_buffer);
            self.drop_bits(entry & 15);
            let symbol = entry >> 16;
            let (value, repeat) = match symbol {
                0..=15 => {
                    lengths[filled] = symbol as u8;
                    filled += 1;
                    continue;
                }
                16 => {
                    let previous = *lengths[..filled].last()?;
                    let repeat = 3 + self.bits(2) as usize;
                    self.drop_bits(2);
                    (previous, repeat)
                }
                17 => {
                    let repeat = 3 + self.bits(3) as usize;
                    self.drop_bits(3);
                    (0, repeat)
                }
                _ => {
                    let repeat = 11 + self.bits(7) as usize;
                    self.drop_bits(7);
                    (0, repeat)
                }
            };
            if filled + repeat > total {
                return None;
            }
            lengths[filled..filled + repeat].fill(value);
            filled += repeat;
        }
        // zlib rejects a block without an end-of-block code.
        if lengths[256] == 0 {
            return None;
        }
        tables
            .litlen
            .build(&lengths[..litlen_count], &LITLEN_SYMBOLS, LITLEN_ROOT_BITS)?;
        tables.distance.build(
            &lengths[litlen_count..total],
            &DISTANCE_SYMBOLS,
            DISTANCE_ROOT_BITS,
        )?;
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
            if self.out.len() - self.written < MAX_MATCH && self.out.len() < self.max_output {
                self.grow(MAX_MATCH.min(self.max_output - self.written))?;
            }
            if self.decode_symbol(litlen, distance)? == BlockEnd::Done {
                return Some(());
            }
        }
    }

    /// Decodes symbols while at least 8 input bytes and [`MAX_MATCH`] bytes
    /// of output room remain, so neither needs checking per symbol. The
    /// state lives in locals: stores to the output could otherwise alias
    /// `self`'s fields, keeping them in memory.
    #[inline(always)]
    fn decode_fast(&mut self, litlen: &HuffmanTable, distance: &HuffmanTable) -> Option<BlockEnd> {
        let input = self.input;
        let out = &mut self.out[..];
        let (mut bit_buffer, mut bit_count) = (self.bit_buffer, self.bit_count);
        let (mut pos, mut written) = (self.pos, self.written);
        let result = loop {
            let Some(word) = input.get(pos..pos + 8) else {
                break Some(BlockEnd::NotYet);
            };
            if out.len() - written < MAX_MATCH {
                break Some(BlockEnd::NotYet);
            }
            bit_buffer |= u64::from_le_bytes(word.try_into().unwrap()) << bit_count;
            pos += (63 - bit_count as usize) >> 3;
            bit_count |= REFILLED_BITS;

            let entry = litlen.lookup(bit_buffer);
            bit_buffer >>= entry & 15;
            bit_count -= entry & 15;
            if entry & LITERAL != 0 {
                out[written] = (entry >> 16) as u8;
                written += 1;
                continue;
            }
            if entry & (END_OF_BLOCK | INVALID) != 0 {
                break (entry & END_OF_BLOCK != 0).then_some(BlockEnd::Done);
            }
            let extra = (entry >> 4) & 15;
            let length = (entry >> 16) as usize + (bit_buffer & ((1 << extra) - 1)) as usize;
            bit_buffer >>= extra;
            bit_count -= extra;

            let entry = distance.lookup(bit_buffer);
            if entry & INVALID != 0 {
                break None;
            }
            bit_buffer >>= entry & 15;
            bit_count -= entry & 15;
            let extra = (entry >> 4) & 15;
            let distance = (entry >> 16) as usize + (bit_buffer & ((1 << extra) - 1)) as usize;
            bit_buffer >>= extra;
            bit_count -= extra;
            // Nothing before the stream: zlib says "distance too far back".
            if distance > written {
                break None;
            }
            copy_match(out, written, distance, length);
            written += length;
        };
        (self.bit_buffer, self.bit_count) = (bit_buffer, bit_count);
        (self.pos, self.written) = (pos, written);
        result
    }

    /// Decodes one literal, match or end of block, checking input and output.
    fn decode_symbol(&mut self, litlen: &HuffmanTable, distance: &HuffmanTable) -> Option<BlockEnd> {
        self.refill()?;
        let entry = litlen.lookup(self.bit_buffer);
        self.drop_bits(entry & 15);
        if entry & LITERAL != 0 {
            self.reserve(1)?;
            self.out[self.written] = (entry >> 16) as u8;
            self.written += 1;
            return Some(BlockEnd::NotYet);
        }
        if entry & (END_OF_BLOCK | INVALID) != 0 {
            return (entry & END_OF_BLOCK != 0).then_some(BlockEnd::Done);
        }
        let extra = (entry >> 4) & 15;
        let length = (entry >> 16) as usize + self.bits(extra) as usize;
        self.drop_bits(extra);

        let entry = distance.lookup(self.bit_buffer);
        if entry & INVALID != 0 {
            return None;
        }
        self.drop_bits(entry & 15);
        let extra = (entry >> 4) & 15;
        let distance = (entry >> 16) as usize + self.bits(extra) as usize;
        self.drop_bits(extra);
        if distance > self.written {
            return None;
        }
        self.reserve(length)?;
        copy_match(&mut self.out, self.written, distance, length);
        self.written += length;
        Some(BlockEnd::NotYet)
    }
}

#[derive(PartialEq, Eq)]
enum BlockEnd {
    NotYet,
    Done,
}

/// Longest match; with this much output room a symbol needs no room check.
const MAX_MATCH: usize = 258;

/// Appends `length` bytes copied from `distance` bytes back at `at`; the
/// source may overlap the destination (a run). The caller reserved room.
#[inline(always)]
fn copy_match(out: &mut [u8], at: usize, distance: usize, length: usize) {
    let from = at - distance;
    if distance >= 8 && at + length + 8 <= out.len() {
        // Whole 8-byte words: each source word ends at or before its
        // destination starts, so it is already final. The last word may run
        // past `length` into scratch space, which later output overwrites.
        let mut copied = 0;
        while copied < length {
            let word: [u8; 8] = out[from + copied..from + copied + 8].try_into().unwrap();
            out[at + copied..at + copied + 8].copy_from_slice(&word);
            copied += 8;
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
