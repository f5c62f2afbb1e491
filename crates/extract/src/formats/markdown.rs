//! Markdown: the text a reader sees, without markup; raw HTML blocks go through the HTML reader.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::text::{Gap, TextSink};
use crate::ExtractError;

pub(crate) fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    let source = super::text::decode(bytes)?;
    Ok(to_text(&source))
}

fn to_text(source: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut sink = TextSink::new();
    let mut in_code = false;
    let mut html_block = String::new();
    for event in Parser::new_ext(source, options) {
        match event {
            Event::Start(tag) => {
                in_code |= matches!(tag, Tag::CodeBlock(_));
                if let Some(gap) = block_gap(&TagEnd::from(tag)) {
                    sink.gap(gap);
                }
            }
            Event::End(tag) => {
                if tag == TagEnd::CodeBlock {
                    in_code = false;
                }
                if tag == TagEnd::HtmlBlock {
                    sink.raw(&super::html::to_text(&html_block));
                    html_block.clear();
                }
                if tag == TagEnd::TableCell {
                    sink.raw("\t");
                }
                if let Some(gap) = block_gap(&tag) {
                    sink.gap(gap);
                }
            }
            Event::Text(text) if in_code => sink.raw(&text),
            Event::Text(text) | Event::Code(text) | Event::InlineMath(text) => sink.text(&text),
            Event::DisplayMath(text) => {
                sink.gap(Gap::Paragraph);
                sink.raw(&text);
                sink.gap(Gap::Paragraph);
            }
            Event::Html(html) => html_block.push_str(&html),
            Event::SoftBreak => sink.gap(Gap::Space),
            Event::HardBreak => sink.gap(Gap::Line),
            Event::Rule => sink.gap(Gap::Paragraph),
            // Inline tags, footnote marks and checkboxes carry no text of their own.
            Event::InlineHtml(_) | Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }
    sink.finish()
}

fn block_gap(tag: &TagEnd) -> Option<Gap> {
    match tag {
        TagEnd::Paragraph
        | TagEnd::Heading(_)
        | TagEnd::BlockQuote(_)
        | TagEnd::CodeBlock
        | TagEnd::HtmlBlock
        | TagEnd::List(_)
        | TagEnd::FootnoteDefinition
        | TagEnd::DefinitionList
        | TagEnd::Table
        | TagEnd::MetadataBlock(_) => Some(Gap::Paragraph),
        TagEnd::Item
        | TagEnd::DefinitionListTitle
        | TagEnd::DefinitionListDefinition
        | TagEnd::TableHead
        | TagEnd::TableRow => Some(Gap::Line),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::to_text;
    use crate::formats::text::tidy;

    #[test]
    fn markup_is_removed_and_blocks_kept_apart() {
        let source = "# Pricing\n\nOur **Pro** plan costs [ten dollars](https://x.test).\nBilled monthly.\n\n- first\n- second\n\n```\nlet x = 1;\nlet y = 2;\n```\n\n| Plan | Price |\n|---|---|\n| Pro | 10 |\n\n<div><p>From <b>HTML</b></p><script>alert(1)</script></div>\n";
        let text = tidy(&to_text(source));
        assert_eq!(
            text,
            "Pricing\n\nOur Pro plan costs ten dollars. Billed monthly.\n\nfirst\nsecond\n\nlet x = 1;\nlet y = 2;\n\nPlan\tPrice\nPro\t10\n\nFrom HTML"
        );
    }
}
