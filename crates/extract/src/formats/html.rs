//! HTML: the visible text, blocks on their own lines, scripts, styles and other non-text skipped.

use ego_tree::iter::Edge;
use scraper::{Html, Node};

use super::text::{Gap, TextSink};
use crate::ExtractError;

pub(crate) fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    let source = super::text::decode(bytes)?;
    Ok(to_text(&source))
}

/// The text of an HTML document or fragment.
pub(crate) fn to_text(source: &str) -> String {
    let document = Html::parse_document(source);
    let mut sink = TextSink::new();
    // Counts open elements whose content is not text (script, style...); text only outside them.
    let mut hidden = 0usize;
    let mut preformatted = 0usize;
    // An iterative walk: hostile documents nest deep enough to overflow a recursive one.
    for edge in document.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) => {
                    let name = element.name();
                    if hidden > 0 || is_hidden(name) {
                        hidden += 1;
                        continue;
                    }
                    if name == "pre" {
                        preformatted += 1;
                    }
                    open_or_close(&mut sink, name);
                }
                Node::Text(text) if hidden == 0 => {
                    if preformatted > 0 {
                        sink.raw(&text[..]);
                    } else {
                        sink.text(&text[..]);
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(element) = node.value() {
                    let name = element.name();
                    if hidden > 0 {
                        hidden -= 1;
                        continue;
                    }
                    if name == "pre" {
                        preformatted = preformatted.saturating_sub(1);
                    }
                    if matches!(name, "td" | "th") {
                        sink.raw("\t");
                    }
                    open_or_close(&mut sink, name);
                }
            }
        }
    }
    sink.finish()
}

fn is_hidden(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "noscript" | "template" | "svg" | "canvas" | "iframe" | "object"
    )
}

/// Block elements start and end on their own line or paragraph.
fn open_or_close(sink: &mut TextSink, name: &str) {
    let gap = match name {
        "br" | "li" | "tr" | "dt" | "dd" | "option" | "caption" => Gap::Line,
        "p" | "div" | "section" | "article" | "main" | "header" | "footer" | "nav" | "aside"
        | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol" | "dl" | "table" | "blockquote"
        | "pre" | "hr" | "figure" | "figcaption" | "form" | "fieldset" | "address" | "title"
        | "details" | "summary" | "body" => Gap::Paragraph,
        _ => return,
    };
    sink.gap(gap);
}

#[cfg(test)]
mod tests {
    use super::to_text;
    use crate::formats::text::tidy;

    #[test]
    fn visible_text_only() {
        let html = r#"<!doctype html><html><head><title>Help centre</title>
            <style>body { color: red }</style><script>var hidden = "no";</script></head>
            <body><h1>Returns</h1><p>Items can be   returned
            within <b>30</b> days.<br>Keep the receipt.</p>
            <ul><li>Shoes</li><li>Bags &amp; belts</li></ul>
            <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Pro</td><td>10</td></tr></table>
            <pre>line one
  line two</pre><noscript>enable js</noscript></body></html>"#;
        assert_eq!(
            tidy(&to_text(html)),
            "Help centre\n\nReturns\n\nItems can be returned within 30 days.\nKeep the receipt.\n\nShoes\nBags & belts\n\nPlan\tPrice\nPro\t10\n\nline one\n  line two"
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!("{}deep{}", "<div>".repeat(5_000), "</div>".repeat(5_000));
        assert_eq!(tidy(&to_text(&html)), "deep");
    }
}
