use super::*;

#[test]
fn origins_read_as_the_user_names_the_place() {
    let input: Arc<str> = Arc::from("metrics.json");
    let entry = Position::Entry {
        path: "$.metrics",
        index: 3,
    };
    assert_eq!(
        Origin::new(&input, entry).to_string(),
        "metrics.json $.metrics[3]"
    );
    assert_eq!(
        Origin::new(&input, Position::Line(7)).to_string(),
        "metrics.json:7"
    );
    assert_eq!(
        Origin::new(&Arc::from("--metric"), Position::Argument(2)).to_string(),
        "--metric #2"
    );
    assert_eq!(Origin::whole("stdin").to_string(), "stdin");
}

#[test]
fn capped_lists_keep_the_first_and_count_the_rest() {
    let mut list = Capped::new(2);
    let mut made = 0;
    for i in 0..5 {
        list.push_with(|| {
            made += 1;
            i
        });
    }
    assert_eq!((list.items, list.more, made), (vec![0, 1], 3, 2));
}

#[test]
fn later_pairs_win_in_their_first_place() {
    let pairs = [("a", "1"), ("b", "2"), ("a", "3"), ("c", "4")];
    assert_eq!(merge_pairs(pairs), vec![("a", "3"), ("b", "2"), ("c", "4")]);
}
