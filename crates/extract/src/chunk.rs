//! Splitting text into overlapping chunks for the knowledge base.
//!
//! Sizes count Unicode scalar values (`char`s), not bytes. A chunk ends, in order of preference,
//! at a paragraph break (a blank line), at a sentence end (Unicode sentence boundaries), or
//! between two words; paragraph and sentence breaks are only taken when the chunk is at least
//! half the target, so chunks stay close to the target. A whitespace-free run longer than the
//! target (a URL, CJK text without punctuation) is cut at a Unicode word boundary, else between
//! grapheme clusters. The next chunk starts inside the previous one's tail, at most `overlap_chars`
//! back, at a sentence start if the tail holds one, else at a word start. Chunks are slices of the
//! input with surrounding whitespace trimmed: [`chunk_ranges`] gives their byte ranges.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkOptions {
    /// Largest chunk, in characters (at least 1).
    pub target_chars: usize,
    /// Largest overlap between consecutive chunks, in characters; capped at half the target so
    /// that every chunk moves forward.
    pub overlap_chars: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        Self {
            target_chars: 1000,
            overlap_chars: 150,
        }
    }
}

/// The chunks of `text`, in order; none is empty. Deterministic.
pub fn chunk(text: &str, options: &ChunkOptions) -> Vec<String> {
    chunk_ranges(text, options)
        .into_iter()
        .map(|range| text[range].to_owned())
        .collect()
}

/// The byte ranges of the chunks of `text`: starts strictly increase, each range begins and ends
/// on a non-whitespace character, and together they cover every non-whitespace character.
pub fn chunk_ranges(text: &str, options: &ChunkOptions) -> Vec<Range<usize>> {
    let target = options.target_chars.max(1);
    let overlap = options.overlap_chars.min(target / 2);
    let text_end = text.trim_end().len();
    let Some(mut start) = next_non_space(text, 0).filter(|&s| s < text_end) else {
        return Vec::new();
    };
    let bounds = Boundaries::new(text);
    let mut ranges = Vec::new();
    // Where the previous chunk stopped: the next one must end past it.
    let mut covered = start;
    loop {
        let limit = advance_chars(text, start, target);
        let end = if limit >= text_end {
            text_end
        } else {
            bounds.break_before(text, start, covered, limit, target)
        };
        let content_end = start + text[start..end].trim_end().len();
        ranges.push(start..content_end);
        if end >= text_end {
            return ranges;
        }
        let next = bounds.overlap_start(text, start, content_end, end, overlap, target);
        start = next_non_space(text, next).unwrap_or(end);
        covered = end;
    }
}

/// Sorted byte offsets where a chunk may start or end, one list per kind of boundary.
struct Boundaries {
    paragraphs: Vec<usize>,
    sentences: Vec<usize>,
    words: Vec<usize>,
}

impl Boundaries {
    fn new(text: &str) -> Self {
        let mut paragraphs = Vec::new();
        let mut words = Vec::new();
        let mut after_space = false;
        let mut newlines = 0;
        for (i, c) in text.char_indices() {
            if c.is_whitespace() {
                after_space = true;
                newlines += usize::from(c == '\n');
            } else {
                if after_space {
                    words.push(i);
                    if newlines >= 2 {
                        paragraphs.push(i);
                    }
                }
                after_space = false;
                newlines = 0;
            }
        }
        let mut sentences: Vec<usize> = text
            .split_sentence_bound_indices()
            .filter_map(|(i, _)| next_non_space(text, i))
            .filter(|&i| i > 0)
            .collect();
        sentences.dedup();
        Self {
            paragraphs,
            sentences,
            words,
        }
    }

    /// Where the chunk starting at `start` ends: past `covered`, at most `target` chars long.
    fn break_before(
        &self,
        text: &str,
        start: usize,
        covered: usize,
        limit: usize,
        target: usize,
    ) -> usize {
        // When the limit falls on whitespace the next word may start the break: the whitespace
        // is trimmed off the chunk, which then holds exactly `target` chars or fewer.
        let reach = if text[limit..].starts_with(char::is_whitespace) {
            next_non_space(text, limit).unwrap_or(limit)
        } else {
            limit
        };
        let floor = covered.max(start) + 1;
        let preferred_floor = advance_chars(text, start, target / 2).max(floor);
        last_in(&self.paragraphs, preferred_floor, reach)
            .or_else(|| last_in(&self.sentences, preferred_floor, reach))
            .or_else(|| last_in(&self.words, floor, reach))
            .or_else(|| last_segment_bound(text, covered.max(start), limit, Segment::Word))
            .or_else(|| last_segment_bound(text, covered.max(start), limit, Segment::Grapheme))
            .unwrap_or(limit)
    }

    /// Where the chunk after `[start, content_end)` starts: a sentence or word start in the last
    /// `overlap` chars, or `end` (no overlap) when there is none.
    fn overlap_start(
        &self,
        text: &str,
        start: usize,
        content_end: usize,
        end: usize,
        overlap: usize,
        target: usize,
    ) -> usize {
        if overlap == 0 {
            return end;
        }
        let lo = retreat_chars(text, content_end, overlap).max(start + 1);
        let candidate = first_in(&self.sentences, lo, content_end)
            .or_else(|| first_in(&self.words, lo, content_end));
        match candidate {
            // The next chunk must be able to reach past `end`, or it would only repeat text.
            Some(next) if advance_chars(text, next, target) > end => next,
            _ => end,
        }
    }
}

#[derive(Clone, Copy)]
enum Segment {
    Word,
    Grapheme,
}

/// The last Unicode word or grapheme boundary in `(lo, limit]`, looking a little past `limit` so
/// that the end of the window is not taken for a boundary.
fn last_segment_bound(text: &str, lo: usize, limit: usize, segment: Segment) -> Option<usize> {
    let window = &text[lo..advance_chars(text, limit, 32)];
    let offsets: Vec<usize> = match segment {
        Segment::Word => window.split_word_bound_indices().map(|(i, _)| i).collect(),
        Segment::Grapheme => window.grapheme_indices(true).map(|(i, _)| i).collect(),
    };
    offsets
        .into_iter()
        .rev()
        .map(|i| lo + i)
        .find(|&i| i > lo && i <= limit)
}

/// The last offset in `[lo, hi]`.
fn last_in(offsets: &[usize], lo: usize, hi: usize) -> Option<usize> {
    let index = offsets.partition_point(|&x| x <= hi);
    index
        .checked_sub(1)
        .map(|i| offsets[i])
        .filter(|&x| x >= lo)
}

/// The first offset in `[lo, hi)`.
fn first_in(offsets: &[usize], lo: usize, hi: usize) -> Option<usize> {
    let index = offsets.partition_point(|&x| x < lo);
    offsets.get(index).copied().filter(|&x| x < hi)
}

fn next_non_space(text: &str, from: usize) -> Option<usize> {
    text[from..]
        .char_indices()
        .find(|(_, c)| !c.is_whitespace())
        .map(|(i, _)| from + i)
}

/// The byte offset `n` chars after `from`, or the end of the text.
fn advance_chars(text: &str, from: usize, n: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| from + i)
}

/// The byte offset `n` chars before `to`, or 0.
fn retreat_chars(text: &str, to: usize, n: usize) -> usize {
    match n.checked_sub(1) {
        None => to,
        Some(back) => text[..to]
            .char_indices()
            .rev()
            .nth(back)
            .map_or(0, |(i, _)| i),
    }
}
