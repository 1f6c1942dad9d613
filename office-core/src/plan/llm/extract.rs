//! Finding the program in a model's reply.
//!
//! - Fenced blocks first. Blocks tagged `python`/`py`/`python3` win over untagged ones;
//!   blocks tagged with another language (`json`, `bash`, ...) are never taken. Of the
//!   candidates, the longest is taken: models that add a second block usually add a usage
//!   example or an alternative, not the other half of the program, and joining blocks
//!   would run both alternatives.
//! - An opening fence with no closing one (a reply cut at its token limit) gives the rest
//!   of the reply.
//! - No fence: the whole reply is taken when it parses as Python and does something
//!   (a bare word like `Sorry` parses too, but is not a program).
//! - `<think>…</think>` sections some reasoning models put first are ignored.

use rustpython_parser::{Parse, ast};

/// The program in `reply`, or `None` when there is none.
pub(crate) fn extract_code(reply: &str) -> Option<String> {
    let reply = strip_thinking(reply);
    let blocks = fenced_blocks(&reply);
    let tagged: Vec<&Block> = blocks.iter().filter(|b| b.is_python()).collect();
    let untagged: Vec<&Block> = blocks.iter().filter(|b| b.lang.is_empty()).collect();
    let candidates = if tagged.is_empty() { untagged } else { tagged };
    if let Some(best) = candidates
        .into_iter()
        .filter(|b| !b.code.trim().is_empty())
        .max_by_key(|b| b.code.lines().filter(|l| !l.trim().is_empty()).count())
    {
        return Some(finish(&best.code));
    }
    if blocks.is_empty() && looks_like_a_program(&reply) {
        return Some(finish(&reply));
    }
    None
}

struct Block {
    lang: String,
    code: String,
}

impl Block {
    fn is_python(&self) -> bool {
        matches!(self.lang.as_str(), "python" | "py" | "python3")
    }
}

/// Every ``` or ~~~ fenced block, in order; lines lose the opening fence's indentation.
fn fenced_blocks(text: &str) -> Vec<Block> {
    struct Open<'t> {
        fence_char: char,
        fence_len: usize,
        indent: usize,
        lang: String,
        lines: Vec<&'t str>,
    }
    let mut blocks = Vec::new();
    let mut open: Option<Open> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some((fence_char, fence_len, info)) = fence_start(trimmed) {
                    let lang = info
                        .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    open = Some(Open {
                        fence_char,
                        fence_len,
                        indent: line.len() - trimmed.len(),
                        lang,
                        lines: Vec::new(),
                    });
                }
            }
            Some(block) => {
                let body = trimmed.trim_end();
                let closes =
                    body.len() >= block.fence_len && body.chars().all(|c| c == block.fence_char);
                if closes {
                    blocks.push(Block {
                        lang: std::mem::take(&mut block.lang),
                        code: block.lines.join("\n"),
                    });
                    open = None;
                } else {
                    let indent = line.len() - trimmed.len();
                    block.lines.push(&line[indent.min(block.indent)..]);
                }
            }
        }
    }
    // A reply cut off inside its block: the part that came is the best there is.
    if let Some(block) = open {
        blocks.push(Block {
            lang: block.lang,
            code: block.lines.join("\n"),
        });
    }
    blocks
}

/// The fence (three or more backticks or tildes) and the info string after it.
fn fence_start(line: &str) -> Option<(char, usize, &str)> {
    let first = line.chars().next()?;
    if first != '`' && first != '~' {
        return None;
    }
    let count = line.chars().take_while(|c| *c == first).count();
    if count < 3 {
        return None;
    }
    let info = &line[count..];
    if first == '`' && info.contains('`') {
        return None;
    }
    Some((first, count, info.trim()))
}

/// The reply without `<think>…</think>` sections.
pub(crate) fn strip_thinking(reply: &str) -> String {
    let mut text = reply.to_string();
    while let Some(start) = text.find("<think>") {
        match text[start..].find("</think>") {
            Some(end) => text.replace_range(start..start + end + "</think>".len(), ""),
            None => text.truncate(start),
        }
    }
    text
}

/// Parses as Python and has at least one statement that is more than a bare name or
/// constant.
fn looks_like_a_program(text: &str) -> bool {
    let Ok(body) = ast::Suite::parse(text, "<reply>") else {
        return false;
    };
    body.iter().any(|stmt| match stmt {
        ast::Stmt::Expr(e) => !matches!(*e.value, ast::Expr::Name(_) | ast::Expr::Constant(_)),
        _ => true,
    })
}

fn finish(code: &str) -> String {
    let mut code = code.trim_matches('\n').to_string();
    code.push('\n');
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_a_fenced_python_block() {
        let reply = "Here you go:\n\n```python\nimport pandas as pd\nprint(1)\n```\nDone.";
        assert_eq!(
            extract_code(reply).unwrap(),
            "import pandas as pd\nprint(1)\n"
        );
    }

    #[test]
    fn prefers_tagged_python_and_the_longest_block() {
        let reply = "```json\n{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}\n```\n\
                     ```python\nx = 1\n```\n\
                     Alternatively:\n```python\nimport os\nx = 1\ny = 2\n```\n\
                     ```\nz = 3\nz = 4\nz = 5\nz = 6\n```";
        assert_eq!(extract_code(reply).unwrap(), "import os\nx = 1\ny = 2\n");
    }

    #[test]
    fn untagged_blocks_count_when_none_is_tagged() {
        let reply = "```bash\npip install pandas\n```\n```\nimport pandas as pd\n```";
        assert_eq!(extract_code(reply).unwrap(), "import pandas as pd\n");
    }

    #[test]
    fn takes_an_unfenced_program() {
        let reply = "import pandas as pd\ndf = pd.DataFrame()\n";
        assert_eq!(extract_code(reply).unwrap(), reply);
    }

    #[test]
    fn prose_and_bare_words_are_not_code() {
        for reply in [
            "I cannot help with that request.",
            "Sorry",
            "",
            "   \n",
            "```json\n{\"a\": 1}\n```",
            "<think>import os</think>I will not write code.",
        ] {
            assert_eq!(extract_code(reply), None, "{reply:?}");
        }
    }

    #[test]
    fn a_block_cut_off_at_the_end_is_taken() {
        let reply = "```python\nimport os\nx = os.getcwd()";
        assert_eq!(extract_code(reply).unwrap(), "import os\nx = os.getcwd()\n");
    }

    #[test]
    fn thinking_is_ignored_and_longer_fences_hold_backticks() {
        let reply = "<think>```python\nbad = 1\nbad = 2\nbad = 3\n```</think>\n\
                     ````python\ns = '```'\nt = 1\n````";
        assert_eq!(extract_code(reply).unwrap(), "s = '```'\nt = 1\n");
    }

    #[test]
    fn indented_fences_and_tildes_work() {
        let reply = "  ```py\n  import math\n  if math.pi:\n      x = 1\n  ```";
        assert_eq!(
            extract_code(reply).unwrap(),
            "import math\nif math.pi:\n    x = 1\n"
        );
        let reply = "~~~python\nimport json\nx = 1\n~~~";
        assert_eq!(extract_code(reply).unwrap(), "import json\nx = 1\n");
    }
}
