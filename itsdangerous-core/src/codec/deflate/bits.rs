//! LSB-first bit writer for deflate output.
//!
//! zlib keeps a 16-bit buffer and flushes it at odd moments; the bit stream is
//! the same whatever the buffer width, so a 64-bit accumulator is used here.
//!
//! The output buffer is zero-filled ahead of the write position (`pos`), so
//! a flush is a bounds-checked 4-byte store rather than a Vec push; it grows
//! (rarely: compress_with sizes it for the worst case) on the cold path.

pub(super) struct BitWriter<'a> {
    /// Bytes written are buf[..pos]; buf[pos..] is scratch.
    buf: &'a mut Vec<u8>,
    pos: usize,
    acc: u64,
    /// Bits pending in acc; below 32 between calls.
    count: u32,
}

/// Where a writer stands (see `BitWriter::local`).
#[derive(Clone, Copy)]
pub(super) struct WriterState {
    pos: usize,
    acc: u64,
    count: u32,
}

impl<'a> BitWriter<'a> {
    /// A writer that appends to `prefix`, with room for about `capacity`
    /// more bytes before it has to grow.
    pub(super) fn new(prefix: &'a mut Vec<u8>, capacity: usize) -> Self {
        let pos = prefix.len();
        prefix.resize(pos + capacity + 8, 0);
        BitWriter {
            buf: prefix,
            pos,
            acc: 0,
            count: 0,
        }
    }

    /// Append the low `len` bits of `value` (len <= 32, value < 2^len).
    #[inline(always)]
    pub(super) fn send(&mut self, value: u64, len: u32) {
        debug_assert!(len <= 32 && value < (1u64 << len));
        self.acc |= value << self.count;
        self.count += len;
        // count stays below 32 between calls, so 32 + 32 bits always fit.
        if self.count >= 32 {
            self.put32();
        }
    }

    #[inline(always)]
    fn put32(&mut self) {
        let word = (self.acc as u32).to_le_bytes();
        match self.buf.get_mut(self.pos..self.pos + 4) {
            Some(dst) => dst.copy_from_slice(&word),
            None => grow_put(self.buf, self.pos, &word),
        }
        self.pos += 4;
        self.acc >>= 32;
        self.count -= 32;
    }

    /// Pad with zero bits to a byte boundary and write out everything pending.
    pub(super) fn align(&mut self) {
        let bytes = self.count.div_ceil(8) as usize;
        let acc = self.acc.to_le_bytes();
        self.acc = 0;
        self.count = 0;
        self.write_bytes(&acc[..bytes]);
    }

    /// Raw bytes; only valid right after `align`.
    pub(super) fn write_bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.count, 0);
        let end = self.pos + bytes.len();
        match self.buf.get_mut(self.pos..end) {
            Some(dst) => dst.copy_from_slice(bytes),
            None => grow_put(self.buf, self.pos, bytes),
        }
        self.pos = end;
    }

    /// A copy of the writer to use in a hot loop, handed back with
    /// `restore(copy.state())`. Sending through `&mut self` stores the
    /// accumulator to memory on every send; a local copy whose address is
    /// never taken (only its `buf` reference is passed on, to the cold
    /// growth path) can live in registers.
    #[inline(always)]
    pub(super) fn local(&mut self) -> BitWriter<'_> {
        BitWriter {
            buf: &mut *self.buf,
            pos: self.pos,
            acc: self.acc,
            count: self.count,
        }
    }

    #[inline(always)]
    pub(super) fn state(&self) -> WriterState {
        WriterState {
            pos: self.pos,
            acc: self.acc,
            count: self.count,
        }
    }

    #[inline(always)]
    pub(super) fn restore(&mut self, state: WriterState) {
        self.pos = state.pos;
        self.acc = state.acc;
        self.count = state.count;
    }

    /// The bytes written (call after a final `align`).
    pub(super) fn finish(self) {
        debug_assert_eq!(self.count, 0);
        self.buf.truncate(self.pos);
    }
}

/// Store `bytes` at buf[pos..], growing buf (zero-filled) to make room.
/// A free function so that only the Vec, not the accumulator, escapes.
#[cold]
#[inline(never)]
fn grow_put(buf: &mut Vec<u8>, pos: usize, bytes: &[u8]) {
    let end = pos + bytes.len();
    let new_len = (end + 8).max(buf.len() * 2);
    buf.resize(new_len, 0);
    buf[pos..end].copy_from_slice(bytes);
}
