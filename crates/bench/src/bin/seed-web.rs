//! `seed-web`: fills a database with one user's reading for `bench/web`.
//!
//! ```text
//! seed-web --database sqlite://PATH [--feeds 1000] [--entries 100000]
//!          [--user admin] [--password PW] [--read-percent 30] [--seed 1]
//! ```
//!
//! Everything goes through the public store API, as a real fetch would:
//! the user is created with an argon2id hash from `tributary_web` (the
//! password comes from `--password` or `TRIBUTARY_ADMIN_PASSWORD`), the
//! feeds are subscribed in one call (spread over 20 categories), and each
//! feed's entries are stored with one `record_success` (titles, authors,
//! tags and 1–3 KB of HTML made up from word lists). Then `--read-percent`
//! of the entries are marked read.
//!
//! The feed URLs point at a closed loopback port (`127.0.0.1:9`) and are
//! scheduled six hours ahead, so a server started on the database does not
//! fetch during a benchmark (and any fetch fails harmlessly).
//!
//! The made-up text is deterministic for a given `--seed`: two runs give
//! the same database (up to ids and timestamps).

use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use tokio::task::JoinSet;
use tributary_model::{Enclosure, EntryId, FeedId, FeedMeta, NewEntry, UserId};
use tributary_store::{EntryQuery, FetchSuccess, NewSubscription, Store, View};

const USAGE: &str = "usage: seed-web --database sqlite://PATH [--feeds N] [--entries N] \
[--user NAME] [--password PW (or TRIBUTARY_ADMIN_PASSWORD)] [--read-percent P] [--seed N]";

/// Categories the feeds are spread over.
const CATEGORIES: [&str; 20] = [
    "Technology",
    "Science",
    "Programming",
    "Rust",
    "Networking",
    "Security",
    "Databases",
    "Design",
    "Photography",
    "Music",
    "Podcasts",
    "Cooking",
    "Travel",
    "Economics",
    "Politics",
    "Climate",
    "Space",
    "History",
    "Books",
    "Cycling",
];

const ADJECTIVES: [&str; 24] = [
    "Faster",
    "Quiet",
    "Practical",
    "Hidden",
    "Modern",
    "Small",
    "Curious",
    "Robust",
    "Gentle",
    "Unexpected",
    "Simple",
    "Distributed",
    "Careful",
    "Open",
    "Early",
    "Honest",
    "Lazy",
    "Local",
    "Portable",
    "Tiny",
    "Lasting",
    "Shared",
    "Plain",
    "Second",
];
const NOUNS: [&str; 32] = [
    "caches",
    "gardens",
    "compilers",
    "rivers",
    "kernels",
    "bridges",
    "schedulers",
    "notebooks",
    "telescopes",
    "bicycles",
    "recipes",
    "archives",
    "protocols",
    "maps",
    "libraries",
    "engines",
    "sensors",
    "forests",
    "queues",
    "lenses",
    "markets",
    "ledgers",
    "harbours",
    "pipelines",
    "glaciers",
    "orchards",
    "routers",
    "servers",
    "keyboards",
    "satellites",
    "parsers",
    "ferries",
];
const PHRASES: [&str; 20] = [
    "and what they teach us",
    "in practice",
    "after ten years",
    "without the hype",
    "for the rest of us",
    "on a budget",
    "at scale",
    "from first principles",
    "that nobody talks about",
    "explained slowly",
    "we got wrong",
    "in the long run",
    "under pressure",
    "by hand",
    "in one afternoon",
    "compared",
    "revisited",
    "and their keepers",
    "in winter",
    "a field guide",
];
const WORDS: [&str; 64] = [
    "the", "a", "of", "and", "to", "in", "is", "that", "for", "with", "on", "as", "it", "was",
    "at", "by", "this", "from", "we", "our", "measure", "latency", "river", "morning", "careful",
    "window", "market", "signal", "harbour", "answer", "quietly", "season", "number", "letter",
    "weather", "storage", "orchard", "bridge", "compiler", "village", "pattern", "station",
    "budget", "shelter", "journey", "reading", "system", "garden", "ledger", "channel", "minute",
    "lantern", "archive", "engine", "forest", "thread", "silver", "granite", "meadow", "copper",
    "whisper", "voyage", "beacon", "summit",
];
const AUTHORS: [&str; 24] = [
    "Ada Lindqvist",
    "Bruno Okafor",
    "Chen Wei",
    "Dana Whitfield",
    "Emeka Nwosu",
    "Freya Holm",
    "Gustavo Reyes",
    "Hana Sato",
    "Ines Carvalho",
    "Jonas Berg",
    "Kavya Raman",
    "Liam O'Connor",
    "Maya Goldberg",
    "Nils Andersen",
    "Olga Petrova",
    "Priya Natarajan",
    "Quentin Moreau",
    "Rosa Alvarez",
    "Sami Haddad",
    "Tomasz Nowak",
    "Uma Iyer",
    "Viktor Lund",
    "Wen Li",
    "Yara Costa",
];
const TAGS: [&str; 16] = [
    "news",
    "opinion",
    "tutorial",
    "release",
    "review",
    "interview",
    "analysis",
    "howto",
    "announcement",
    "essay",
    "notes",
    "video",
    "links",
    "research",
    "event",
    "photo",
];

struct Args {
    database: String,
    feeds: usize,
    entries: usize,
    user: String,
    password: Option<String>,
    read_percent: u32,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        database: String::new(),
        feeds: 1000,
        entries: 100_000,
        user: "admin".to_owned(),
        password: std::env::var("TRIBUTARY_ADMIN_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty()),
        read_percent: 30,
        seed: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_owned());
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |what: &str| -> Result<u64, String> {
            value
                .parse::<u64>()
                .map_err(|_| format!("{what} must be a whole number, not {value:?}"))
        };
        match flag.as_str() {
            "--database" => args.database = value.clone(),
            "--feeds" => args.feeds = number("--feeds")? as usize,
            "--entries" => args.entries = number("--entries")? as usize,
            "--user" => args.user = value.clone(),
            "--password" => args.password = Some(value.clone()),
            "--read-percent" => {
                args.read_percent = u32::try_from(number("--read-percent")?)
                    .ok()
                    .filter(|p| *p <= 100)
                    .ok_or("--read-percent must be between 0 and 100")?
            }
            "--seed" => args.seed = number("--seed")?,
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    if args.database.is_empty() {
        return Err(format!("--database is required\n{USAGE}"));
    }
    if args.feeds == 0 {
        return Err("--feeds must be at least 1".to_owned());
    }
    if args.entries < args.feeds {
        return Err(format!(
            "--entries ({}) must be at least --feeds ({}): every feed gets the same share",
            args.entries, args.feeds
        ));
    }
    if args.password.is_none() {
        return Err(
            "no password for the user: give --password or set TRIBUTARY_ADMIN_PASSWORD".to_owned(),
        );
    }
    Ok(args)
}

/// SplitMix64: a small, good-enough deterministic generator (no crate needed
/// for made-up text).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn feed_url(i: usize) -> String {
    format!("http://127.0.0.1:9/seed/feed-{i:04}.xml")
}

fn feed_title(rng: &mut Rng, i: usize) -> String {
    format!("{} {} #{i}", rng.pick(&ADJECTIVES), rng.pick(&NOUNS))
}

fn sentence(rng: &mut Rng) -> String {
    let n = 8 + rng.below(14);
    let mut s = String::new();
    for k in 0..n {
        let w = rng.pick(&WORDS);
        if k == 0 {
            let mut c = w.chars();
            if let Some(first) = c.next() {
                s.extend(first.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push(' ');
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

/// HTML content of about `target` bytes: paragraphs, now and then a link,
/// emphasis or a list, as sanitized feed content looks.
fn content(rng: &mut Rng, target: usize, link: &str) -> (String, String) {
    let mut html = String::with_capacity(target + 256);
    let mut first = String::new();
    while html.len() < target {
        match rng.below(8) {
            0 => {
                html.push_str("<ul>");
                for _ in 0..3 {
                    html.push_str("<li>");
                    html.push_str(&sentence(rng));
                    html.push_str("</li>");
                }
                html.push_str("</ul>");
            }
            1 => {
                html.push_str("<p>");
                html.push_str(&sentence(rng));
                html.push_str(" <a href=\"");
                html.push_str(link);
                html.push_str("#more\">Read the notes</a>. <em>");
                html.push_str(&sentence(rng));
                html.push_str("</em></p>");
            }
            _ => {
                html.push_str("<p>");
                for k in 0..(2 + rng.below(4)) {
                    if k > 0 {
                        html.push(' ');
                    }
                    let s = sentence(rng);
                    if first.is_empty() {
                        first = s.clone();
                    }
                    html.push_str(&s);
                }
                html.push_str("</p>");
            }
        }
    }
    if first.is_empty() {
        first = sentence(rng);
    }
    (html, first)
}

fn entry(rng: &mut Rng, feed: usize, n: usize, published: DateTime<Utc>) -> NewEntry {
    let title = format!(
        "{} {} {}",
        rng.pick(&ADJECTIVES),
        rng.pick(&NOUNS),
        rng.pick(&PHRASES)
    );
    let url = format!("http://127.0.0.1:9/seed/{feed:04}/posts/{n:03}.html");
    let size = 1000 + rng.below(2000);
    let (content_html, excerpt) = content(rng, size, &url);
    let author = (rng.below(10) != 0).then(|| rng.pick(&AUTHORS).to_owned());
    let mut categories = vec![rng.pick(&TAGS).to_owned()];
    if rng.below(2) == 0 {
        let second = rng.pick(&TAGS).to_owned();
        if second != categories[0] {
            categories.push(second);
        }
    }
    // A podcast-like feed now and then: every 11th feed has episodes.
    let enclosures = if feed.is_multiple_of(11) {
        vec![Enclosure {
            url: format!("http://127.0.0.1:9/seed/{feed:04}/ep-{n:03}.mp3"),
            mime_type: Some("audio/mpeg".to_owned()),
            length: Some(20_000_000 + rng.below(40_000_000) as u64),
            duration_secs: Some(900 + rng.below(3600) as u64),
        }]
    } else {
        Vec::new()
    };
    NewEntry {
        key: format!("guid:seed-{feed}-{n}"),
        guid: Some(format!("seed-{feed}-{n}")),
        canonical_url: Some(url.clone()),
        url: Some(url),
        content_hash: format!("seed-{feed}-{n}-{}", content_html.len()),
        title,
        author,
        content_html: Some(content_html),
        summary_html: None,
        excerpt,
        published,
        published_from_feed: true,
        updated: None,
        enclosures,
        categories,
    }
}

/// One feed's fetch outcome: `count` entries, the newest first, one every
/// `gap` before `now` (a little jitter so feeds interleave in the river).
fn outcome(rng: &mut Rng, feed: usize, count: usize, now: DateTime<Utc>) -> FetchSuccess {
    // Posting rhythm: from several a day to weekly.
    let gap_minutes = [90i64, 240, 720, 1440, 2880, 10080][rng.below(6)];
    let start = now - Duration::minutes(rng.below(gap_minutes as usize) as i64);
    let entries = (0..count)
        .map(|n| {
            let jitter = rng.below(60) as i64;
            let published = start - Duration::minutes(gap_minutes * n as i64 + jitter);
            entry(rng, feed, n, published)
        })
        .collect();
    FetchSuccess {
        fetched_at: now,
        next_fetch_at: now + Duration::hours(6),
        next_fetch_reason: "seeded by seed-web".to_owned(),
        schedule_hints: Default::default(),
        status_note: None,
        body_hash: None,
        moved_to: None,
        etag: None,
        last_modified: None,
        meta: FeedMeta {
            site_url: Some(format!("http://127.0.0.1:9/seed/{feed:04}/")),
            description: Some("Made up by seed-web for bench/web.".to_owned()),
            language: Some("en".to_owned()),
            ..FeedMeta::default()
        },
        entries,
    }
}

async fn create_user(store: &Store, name: &str, password: &str) -> Result<UserId, String> {
    let hash = tributary_web::auth::hash_password(password)
        .map_err(|e| format!("could not hash the password: {e}"))?;
    let user = store
        .create_user(name, &hash, true)
        .await
        .map_err(|e| format!("could not create user {name:?}: {e}"))?;
    Ok(user.id)
}

/// Mark about `percent` % of the user's entries read (picked at random),
/// in one transaction.
async fn mark_read(
    store: &Store,
    user: UserId,
    percent: u32,
    rng: &mut Rng,
) -> Result<u64, String> {
    let mut ids: Vec<EntryId> = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .entries(
                user,
                &EntryQuery {
                    view: View::All,
                    after,
                    limit: 1000,
                    ..EntryQuery::default()
                },
            )
            .await
            .map_err(|e| format!("could not list the entries: {e}"))?;
        ids.extend(
            page.items
                .iter()
                .map(|item| item.entry.id)
                .filter(|_| (rng.below(100) as u32) < percent),
        );
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    store
        .set_read_many(user, &ids, true)
        .await
        .map_err(|e| format!("could not mark {} entries read: {e}", ids.len()))
}

async fn run(args: Args) -> Result<(), String> {
    let t0 = Instant::now();
    let store = Store::open(&args.database)
        .await
        .map_err(|e| format!("could not open {}: {e}", args.database))?;
    let password = args.password.as_deref().unwrap_or_default();
    let user = create_user(&store, &args.user, password).await?;

    let mut rng = Rng::new(args.seed);
    let subs: Vec<NewSubscription> = (0..args.feeds)
        .map(|i| NewSubscription {
            url: feed_url(i),
            title: Some(feed_title(&mut rng, i)),
            site_url: None,
            category: vec![CATEGORIES[i % CATEGORIES.len()].to_owned()],
        })
        .collect();
    let report = store
        .subscribe(user, &subs)
        .await
        .map_err(|e| format!("could not subscribe: {e}"))?;
    if report.added.len() != args.feeds {
        return Err(format!(
            "subscribed {} feeds, not {}: is the database fresh?",
            report.added.len(),
            args.feeds
        ));
    }
    let subscriptions = store
        .subscriptions(user)
        .await
        .map_err(|e| format!("could not list the subscriptions: {e}"))?;
    let mut feed_ids: Vec<(String, FeedId)> = subscriptions
        .iter()
        .map(|s| (s.feed.url.clone(), s.feed.id))
        .collect();
    feed_ids.sort();

    // Store the feeds' entries, several at a time so the store's write
    // queue commits them in batches.
    let per_feed = args.entries / args.feeds;
    let now = Utc::now();
    let mut tasks = JoinSet::new();
    let mut stored = 0usize;
    for (i, (url, feed)) in feed_ids.iter().enumerate() {
        let mut feed_rng = Rng::new(args.seed.wrapping_mul(1_000_003).wrapping_add(i as u64));
        let index = url
            .rsplit('-')
            .next()
            .and_then(|s| s.trim_end_matches(".xml").parse::<usize>().ok())
            .unwrap_or(i);
        let success = outcome(&mut feed_rng, index, per_feed, now);
        let store = store.clone();
        let feed = *feed;
        tasks.spawn(async move { store.record_success(feed, success).await });
        while tasks.len() >= 16 {
            stored += join_one(&mut tasks).await?;
        }
    }
    while !tasks.is_empty() {
        stored += join_one(&mut tasks).await?;
    }
    let stored_at = t0.elapsed();

    let read = if args.read_percent > 0 {
        mark_read(&store, user, args.read_percent, &mut rng).await?
    } else {
        0
    };
    let total = store
        .entry_count()
        .await
        .map_err(|e| format!("could not count the entries: {e}"))?;
    store.close().await;
    println!(
        "seed-web: user {} with {} feeds in {} categories, {stored} entries stored \
         ({total} in the database), {read} marked read, in {:.1} s (entries {:.1} s)",
        args.user,
        args.feeds,
        CATEGORIES.len().min(args.feeds),
        t0.elapsed().as_secs_f64(),
        stored_at.as_secs_f64()
    );
    Ok(())
}

async fn join_one(
    tasks: &mut JoinSet<tributary_store::StoreResult<tributary_store::UpsertReport>>,
) -> Result<usize, String> {
    match tasks.join_next().await {
        Some(Ok(Ok(report))) => Ok(report.new),
        Some(Ok(Err(e))) => Err(format!("could not store a feed's entries: {e}")),
        Some(Err(e)) => Err(format!("a store task failed: {e}")),
        None => Ok(0),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("seed-web: {msg}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("seed-web: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("seed-web: {msg}");
            ExitCode::FAILURE
        }
    }
}
