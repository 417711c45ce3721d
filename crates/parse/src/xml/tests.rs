#[test]
fn placeholder() {}
#[test]
fn sizes() {
    eprintln!(
        "entry {} text {} media {} itunes {} podcast {} link {}",
        std::mem::size_of::<crate::ParsedEntry>(),
        std::mem::size_of::<crate::Text>(),
        std::mem::size_of::<crate::Media>(),
        std::mem::size_of::<crate::Itunes>(),
        std::mem::size_of::<crate::Podcast>(),
        std::mem::size_of::<crate::Link>()
    );
}
