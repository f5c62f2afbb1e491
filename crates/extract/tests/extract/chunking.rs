//! `chunk` and `chunk_ranges`: size, boundaries, overlap, coverage, Unicode safety.

use std::ops::Range;

use extract::{ChunkOptions, chunk, chunk_ranges};

fn options(target_chars: usize, overlap_chars: usize) -> ChunkOptions {
    ChunkOptions {
        target_chars,
        overlap_chars,
    }
}

/// Sentences of varied length, in paragraphs of varied size, from a fixed seed.
fn prose(paragraphs: usize, seed: u64) -> String {
    const WORDS: [&str; 12] = [
        "agent", "voice", "call", "customer", "refund", "policy", "support", "within", "days",
        "the", "and", "receipt",
    ];
    let mut state = seed;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % n
    };
    let mut out = Vec::new();
    for _ in 0..paragraphs {
        let sentences: Vec<String> = (0..1 + next(8))
            .map(|_| {
                let words: Vec<&str> = (0..3 + next(14))
                    .map(|_| WORDS[next(WORDS.len())])
                    .collect();
                let mut sentence = words.join(" ");
                sentence[..1].make_ascii_uppercase();
                sentence + "."
            })
            .collect();
        out.push(sentences.join(" "));
    }
    out.join("\n\n")
}

/// The invariants every chunking must keep.
fn check(text: &str, opts: &ChunkOptions) -> Vec<Range<usize>> {
    let ranges = chunk_ranges(text, opts);
    for (i, range) in ranges.iter().enumerate() {
        let piece = &text[range.clone()];
        assert!(!piece.is_empty(), "chunk {i} is empty");
        assert_eq!(piece, piece.trim(), "chunk {i} has surrounding whitespace");
        assert!(
            piece.chars().count() <= opts.target_chars.max(1),
            "chunk {i} too long: {}",
            piece.chars().count()
        );
        if i > 0 {
            assert!(
                range.start > ranges[i - 1].start,
                "chunk {i} does not move forward"
            );
            assert!(range.end > ranges[i - 1].end, "chunk {i} adds nothing");
        }
    }
    // Every non-whitespace character is in some chunk.
    let mut next_range = 0;
    for (at, c) in text.char_indices().filter(|(_, c)| !c.is_whitespace()) {
        while next_range < ranges.len() && ranges[next_range].end <= at {
            next_range += 1;
        }
        assert!(
            next_range < ranges.len() && ranges[next_range].start <= at,
            "{c:?} at byte {at} is in no chunk"
        );
    }
    assert_eq!(
        chunk(text, opts),
        ranges
            .iter()
            .map(|r| text[r.clone()].to_owned())
            .collect::<Vec<_>>()
    );
    ranges
}

#[test]
fn short_text_is_one_chunk_and_blank_text_none() {
    let opts = ChunkOptions::default();
    assert_eq!(
        chunk("  Just one line.\n", &opts),
        vec!["Just one line.".to_owned()]
    );
    assert!(chunk("", &opts).is_empty());
    assert!(chunk(" \n\t \n", &opts).is_empty());
}

#[test]
fn chunks_end_at_paragraphs_when_they_fit() {
    let paragraph = |n: usize| format!("Paragraph {n}. {}", "word ".repeat(60).trim_end());
    let text: Vec<String> = (0..12).map(paragraph).collect();
    let text = text.join("\n\n");
    let ranges = check(&text, &options(1000, 150));
    assert!(ranges.len() > 1);
    for range in &ranges[..ranges.len() - 1] {
        let after = &text[range.end..];
        assert!(
            after.starts_with("\n\n"),
            "chunk ends mid-paragraph: {:?}",
            &text[range.clone()]
        );
    }
}

#[test]
fn chunks_end_at_sentences_inside_a_long_paragraph() {
    let text = prose(1, 1) + " " + &prose(1, 2) + " " + &prose(1, 3);
    let long_paragraph = (0..20)
        .map(|seed| prose(1, seed))
        .collect::<Vec<_>>()
        .join(" ");
    for text in [text, long_paragraph] {
        for range in check(&text, &options(300, 60)) {
            let piece = &text[range];
            assert!(
                piece.ends_with('.'),
                "chunk does not end a sentence: {piece:?}"
            );
        }
        // Without overlap each chunk starts where the previous one ended: at a sentence start.
        // (With overlap, a chunk starts at a word when the tail holds no sentence start.)
        for range in check(&text, &options(300, 0)) {
            let piece = &text[range];
            assert!(
                piece.ends_with('.'),
                "chunk does not end a sentence: {piece:?}"
            );
            assert!(
                piece.starts_with(char::is_uppercase),
                "chunk does not start a sentence: {piece:?}"
            );
        }
    }
}

#[test]
fn consecutive_chunks_overlap_by_at_most_the_overlap() {
    let text = prose(30, 9);
    let ranges = check(&text, &options(500, 120));
    assert!(ranges.len() > 5);
    for pair in ranges.windows(2) {
        assert!(pair[1].start < pair[0].end, "no overlap between {pair:?}");
        let shared = text[pair[1].start..pair[0].end].chars().count();
        assert!(shared <= 120, "overlap of {shared} chars");
    }
}

#[test]
fn words_are_never_cut() {
    for seed in 0..10 {
        let text = prose(8, seed);
        for (target, overlap) in [(50, 10), (120, 40), (333, 100), (1000, 150)] {
            for range in check(&text, &options(target, overlap)) {
                let starts_word =
                    range.start == 0 || text[..range.start].ends_with(char::is_whitespace);
                let ends_word =
                    range.end == text.len() || text[range.end..].starts_with(char::is_whitespace);
                assert!(
                    starts_word && ends_word,
                    "cut inside a word: {:?}",
                    &text[range]
                );
            }
        }
    }
}

#[test]
fn a_word_longer_than_the_target_is_split() {
    let text = format!("start {} end", "x".repeat(2500));
    let ranges = check(&text, &options(1000, 150));
    assert!(ranges.len() >= 3);
    assert!(
        ranges
            .iter()
            .all(|r| text[r.clone()].chars().count() <= 1000)
    );
}

#[test]
fn multibyte_text_is_safe() {
    let mixed =
        "Grüße aus München! 東京は大きい都市です。Ünïcödé 👩‍👩‍👧 façade — naïve café. ".repeat(60);
    let cjk = "日本語の文章には空白がありません".repeat(100);
    let combining = "e\u{301}".repeat(1500);
    for text in [mixed.as_str(), cjk.as_str(), combining.as_str()] {
        for (target, overlap) in [(7, 3), (64, 16), (250, 50), (1000, 150)] {
            check(text, &options(target, overlap));
        }
    }
    // Graphemes stay whole: no chunk of the combining text starts with the bare accent.
    for piece in chunk(&combining, &options(101, 20)) {
        assert!(piece.starts_with('e'), "{piece:?}");
    }
}

#[test]
fn odd_options_still_terminate() {
    let text = prose(5, 4);
    check(&text, &options(0, 0));
    check(&text, &options(1, 5));
    check(&text, &options(10, 10));
    check(&text, &options(40, 0));
    let spaced = format!("a{}b{}c", " ".repeat(500), "\n".repeat(700));
    check(&spaced, &options(20, 10));
}

#[test]
fn deterministic() {
    let text = prose(40, 11);
    let opts = ChunkOptions::default();
    assert_eq!(chunk(&text, &opts), chunk(&text, &opts));
}
