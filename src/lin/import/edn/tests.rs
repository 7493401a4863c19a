use super::*;

fn check(text: &str, expected: &str) {
    let shown = match read_value(text) {
        Ok(value) => value.to_string(),
        Err(error) => format!("error: {error}"),
    };
    assert_eq!(shown, expected, "reading {text:?}");
}

#[test]
fn reads_values() {
    check("nil", "nil");
    check(" 42 ", "42");
    check("-7", "-7");
    check("12N", "12");
    check("1.5", "1.5");
    check("\"a\\nb\"", "\"a\\nb\"");
    check(":timed-out", ":timed-out");
    check("[1 2 (3 4)]", "[1 2 [3 4]]");
    check("{:y 0, :x 1}", "{:x 1, :y 0}");
    check("#{3 1 2}", "#{1 2 3}");
    check("[1 #_ 2 3] ; done", "[1 3]");
    check("#inst \"2020\"", "#inst \"2020\"");
    check("\\a", "\\a");
}

#[test]
fn names_line_and_column_of_errors() {
    check("[1 2", "error: line 1, column 1: '[' is never closed");
    check(
        "{:a}",
        "error: line 1, column 1: a map needs an even number of forms (a value for every key)",
    );
    check(
        "\n  ^{:a 1} x",
        "error: line 2, column 3: metadata (^) is not supported",
    );
    check(
        "#\"re\"",
        "error: line 1, column 1: regular expressions (#\"...\") are not supported",
    );
    check(
        "1 2",
        "error: line 1, column 3: unexpected text after the value",
    );
    check("\"abc", "error: line 1, column 1: a string is never closed");
    check("]", "error: line 1, column 1: unexpected ']'");
    // Columns count characters: after a non-ASCII keyword, symbol and comment.
    check(
        "[:é ça ; déjà\n  :ü ^x]",
        "error: line 2, column 6: metadata (^) is not supported",
    );
    check(
        "[:é, ça ^x]",
        "error: line 1, column 9: metadata (^) is not supported",
    );
}

#[test]
fn bounds_nesting() {
    let deep = "[".repeat(10_000);
    assert!(read_value(&deep).is_err());
}
