//! Which countries make up "us" and "them": built-in country groups (EU27, EAEU, BRICS, G7, OECD, …) with
//! their sources and membership history, custom groups from a TOML file, and bloc expressions such as
//! `EU27+G7-DEU` (union, difference) or `BRICS&OPEC` (intersection), evaluated on a given date.
//!
//! Membership is a set of ISO3 codes; each member carries the dates it joined and left (when known and
//! relevant), so `--as-of 2023-06-01` gives BRICS its five original members and `--as-of 2024-06-01` nine.
//! [`resolve`] maps a selection onto a table's regions and reports members that the table does not carry as
//! separate regions, instead of dropping them silently.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::labels::Labels;

/// A calendar date (proleptic Gregorian), as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// A date from its parts; `None` when it does not exist.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (day >= 1 && day <= days).then_some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.trim().splitn(3, '-');
        let y = it.next()?;
        let m = it.next()?;
        let d = it.next()?;
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }

    /// Today's date (UTC) from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's civil-from-days algorithm).
    fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One member of a bloc and the period of its membership (`from` inclusive, `until` inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// ISO 3166-1 alpha-3 code.
    pub iso3: String,
    /// First day of membership; `None` = member since before any date sovra is asked about.
    pub from: Option<Date>,
    /// Last day of membership; `None` = still a member.
    pub until: Option<Date>,
}

impl Member {
    /// Is this a member on `date`?
    pub fn on(&self, date: Date) -> bool {
        self.from.is_none_or(|f| f <= date) && self.until.is_none_or(|u| date <= u)
    }
}

/// A named group of countries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bloc {
    /// Name used on the command line (upper case, e.g. `EU27`).
    pub name: String,
    /// What it is.
    pub title: String,
    /// Where the membership list comes from.
    pub source: String,
    /// The date the list was last checked against its source.
    pub checked: Date,
    /// Caveats: members treated specially, associate members left out, etc.
    pub notes: String,
    /// Members with their periods of membership.
    pub members: Vec<Member>,
    /// The first date this list gives the membership for (the bloc's founding, or where its record
    /// starts); asking for an earlier date is an error. `None`: any date (a fixed composition such as the
    /// statistical aggregate EU27, or a custom bloc).
    pub recorded_from: Option<Date>,
}

impl Bloc {
    /// Members on `date`, sorted; none before [`Bloc::recorded_from`].
    pub fn members_on(&self, date: Date) -> Vec<String> {
        if self.recorded_from.is_some_and(|f| date < f) {
            return Vec::new();
        }
        let set: BTreeSet<&str> = self
            .members
            .iter()
            .filter(|m| m.on(date))
            .map(|m| m.iso3.as_str())
            .collect();
        set.into_iter().map(str::to_string).collect()
    }
}

/// Shorthand for the built-in list: `"ISO3"` (always a member), `"ISO3>YYYY-MM-DD"` (from), or
/// `"ISO3>YYYY-MM-DD<YYYY-MM-DD"` / `"ISO3<YYYY-MM-DD"` (until).
fn members(spec: &str) -> Vec<Member> {
    spec.split_whitespace()
        .map(|tok| {
            let (head, until) = match tok.split_once('<') {
                Some((h, u)) => (h, Date::parse(u)),
                None => (tok, None),
            };
            let (iso3, from) = match head.split_once('>') {
                Some((c, f)) => (c, Date::parse(f)),
                None => (head, None),
            };
            Member {
                iso3: iso3.to_string(),
                from,
                until,
            }
        })
        .collect()
}

const CHECKED: (i32, u8, u8) = (2026, 11, 23);

fn builtin(name: &str, title: &str, source: &str, notes: &str, spec: &str) -> Bloc {
    Bloc {
        name: name.into(),
        title: title.into(),
        source: source.into(),
        checked: Date {
            year: CHECKED.0,
            month: CHECKED.1,
            day: CHECKED.2,
        },
        notes: notes.into(),
        members: members(spec),
        recorded_from: RECORDED_FROM
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, d)| Date::parse(d)),
    }
}

/// Where the built-in membership records start: the founding date, or (OPEC) the first date its list is
/// complete for.
const RECORDED_FROM: &[(&str, &str)] = &[
    ("EU", "1958-01-01"),
    ("EAEU", "2015-01-01"),
    ("BRICS", "2009-06-16"),
    ("G7", "1976-06-27"),
    ("OECD", "1961-09-30"),
    ("CIS", "1991-12-21"),
    ("UNION_STATE", "2000-01-26"),
    ("ASEAN", "1967-08-08"),
    ("USMCA", "2020-07-01"),
    ("NAFTA", "1994-01-01"),
    ("G20", "1999-09-25"),
    ("OPEC", "2007-01-01"),
];

/// The built-in blocs.
pub fn builtin_blocs() -> Vec<Bloc> {
    vec![
        builtin(
            "EU27",
            "European Union, 27 member states (the statistical aggregate EU27_2020)",
            "Eurostat, EU27_2020 country group; Treaty on European Union",
            "A fixed composition: the 27 members since the United Kingdom left on 2020-02-01. For membership as \
             it was on a date (EU28 before 2020-02-01, EU15 before 2004-05-01, …) use EU with --as-of.",
            "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK \
             SVN ESP SWE",
        ),
        builtin(
            "EU",
            "European Union (European Communities before 1993) with its enlargements and the UK's exit",
            "Accession treaties; Withdrawal Agreement (UK left 2020-01-31 24:00 CET)",
            "",
            "BEL FRA DEU ITA LUX NLD DNK>1973-01-01 IRL>1973-01-01 GBR>1973-01-01<2020-01-31 GRC>1981-01-01 \
             PRT>1986-01-01 ESP>1986-01-01 AUT>1995-01-01 FIN>1995-01-01 SWE>1995-01-01 CYP>2004-05-01 \
             CZE>2004-05-01 EST>2004-05-01 HUN>2004-05-01 LVA>2004-05-01 LTU>2004-05-01 MLT>2004-05-01 \
             POL>2004-05-01 SVK>2004-05-01 SVN>2004-05-01 BGR>2007-01-01 ROU>2007-01-01 HRV>2013-07-01",
        ),
        builtin(
            "EAEU",
            "Eurasian Economic Union",
            "Treaty on the Eurasian Economic Union (in force 2015-01-01); accession of Armenia and Kyrgyzstan",
            "",
            "RUS>2015-01-01 BLR>2015-01-01 KAZ>2015-01-01 ARM>2015-01-02 KGZ>2015-08-12",
        ),
        builtin(
            "BRICS",
            "BRICS (Brazil, Russia, India, China, South Africa and the members admitted since 2024)",
            "BRIC summit 2009-06-16; South Africa invited 2010-12-24; Johannesburg declaration 2023 (members \
             from 2024-01-01); Brazilian chairship announcement for Indonesia (2025-01-06)",
            "Saudi Arabia was invited in 2023 but has not confirmed its membership: it is not a member here. \
             Add it explicitly if your question needs it: BRICS+SAU. Partner countries (from 2025) are not \
             members.",
            "BRA>2009-06-16 RUS>2009-06-16 IND>2009-06-16 CHN>2009-06-16 ZAF>2010-12-24 EGY>2024-01-01 \
             ETH>2024-01-01 IRN>2024-01-01 ARE>2024-01-01 IDN>2025-01-06",
        ),
        builtin(
            "G7",
            "Group of Seven",
            "G7 member countries",
            "The European Union takes part in the G7 but is not a member: use G7+EU27 to include it.",
            "CAN FRA DEU ITA JPN GBR USA",
        ),
        builtin(
            "OECD",
            "Organisation for Economic Co-operation and Development, 38 members",
            "OECD, list of member countries with ratification dates of the Convention",
            "",
            "AUT>1961-09-30 BEL>1961-09-30 CAN>1961-09-30 DNK>1961-09-30 FRA>1961-09-30 DEU>1961-09-30 \
             GRC>1961-09-30 ISL>1961-09-30 IRL>1961-09-30 LUX>1961-09-30 NLD>1961-09-30 NOR>1961-09-30 \
             PRT>1961-09-30 ESP>1961-09-30 SWE>1961-09-30 CHE>1961-09-30 TUR>1961-09-30 GBR>1961-09-30 \
             USA>1961-09-30 ITA>1962-03-29 JPN>1964-04-28 FIN>1969-01-28 AUS>1971-06-07 NZL>1973-05-29 \
             MEX>1994-05-18 CZE>1995-12-21 HUN>1996-05-07 POL>1996-11-22 KOR>1996-12-12 SVK>2000-12-14 \
             CHL>2010-05-07 SVN>2010-07-21 ISR>2010-09-07 EST>2010-12-09 LVA>2016-07-01 LTU>2018-07-05 \
             COL>2020-04-28 CRI>2021-05-25",
        ),
        builtin(
            "CIS",
            "Commonwealth of Independent States, participating member states",
            "CIS Executive Committee, member states",
            "Turkmenistan (associate member since 2005-08-26) is not included. Georgia left on 2009-08-18. \
             Ukraine never ratified the Charter and ended its participation on 2018-05-19; it is counted as a \
             participant until then. Moldova has been leaving CIS agreements since 2023 but remains a member \
             state as of the check date.",
            "ARM BLR KAZ KGZ MDA>1994-04-08 RUS TJK UZB AZE>1993-09-24 GEO>1993-12-03<2009-08-18 \
             UKR<2018-05-19",
        ),
        builtin(
            "UNION_STATE",
            "Union State of Russia and Belarus",
            "Treaty on the Creation of a Union State (signed 1999-12-08, in force 2000-01-26)",
            "",
            "RUS>2000-01-26 BLR>2000-01-26",
        ),
        builtin(
            "ASEAN",
            "Association of Southeast Asian Nations",
            "ASEAN Secretariat, member states and dates of admission",
            "",
            "IDN>1967-08-08 MYS>1967-08-08 PHL>1967-08-08 SGP>1967-08-08 THA>1967-08-08 BRN>1984-01-07 \
             VNM>1995-07-28 LAO>1997-07-23 MMR>1997-07-23 KHM>1999-04-30 TLS>2025-10-26",
        ),
        builtin(
            "USMCA",
            "United States–Mexico–Canada Agreement (CUSMA, T-MEC)",
            "USMCA, in force 2020-07-01 (succeeding NAFTA, 1994-01-01)",
            "Before 2020-07-01 the same three countries formed NAFTA: use NAFTA for earlier dates.",
            "USA>2020-07-01 MEX>2020-07-01 CAN>2020-07-01",
        ),
        builtin(
            "NAFTA",
            "North American Free Trade Agreement (1994-01-01 to 2020-06-30)",
            "NAFTA, replaced by USMCA on 2020-07-01",
            "",
            "USA>1994-01-01<2020-06-30 MEX>1994-01-01<2020-06-30 CAN>1994-01-01<2020-06-30",
        ),
        builtin(
            "G20",
            "Group of Twenty, the 19 member countries",
            "G20 members",
            "The European Union and the African Union are members as unions and are not expanded here: use \
             G20+EU27 to add the EU's member states.",
            "ARG AUS BRA CAN CHN FRA DEU IND IDN ITA JPN KOR MEX RUS SAU ZAF TUR GBR USA",
        ),
        builtin(
            "OPEC",
            "Organization of the Petroleum Exporting Countries",
            "OPEC Member Countries, with dates of joining and leaving",
            "Angola left on 2023-12-31, Ecuador on 2019-12-31 (earlier also 1992–2007), Qatar on 2018-12-31, \
             Indonesia in 2016; only the spells since 2007 are recorded.",
            "IRN IRQ KWT SAU VEN LBY DZA NGA ARE GAB>2016-07-01 GNQ>2017-05-25 COG>2018-06-22 \
             AGO>2007-01-01<2023-12-31 ECU>2007-11-17<2019-12-31 QAT<2018-12-31 IDN>2016-01-01<2016-11-30",
        ),
    ]
}

/// Built-in and custom blocs by name.
#[derive(Debug, Clone)]
pub struct Registry {
    blocs: BTreeMap<String, Bloc>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::builtin()
    }
}

fn is_iso3(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// The custom-bloc file: `[bloc.NAME]` tables with `members`, and optional `title`, `source`, `notes`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomFile {
    #[serde(default)]
    bloc: BTreeMap<String, CustomBloc>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomBloc {
    members: Vec<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    notes: Option<String>,
}

impl Registry {
    /// The built-in blocs only.
    pub fn builtin() -> Self {
        Registry {
            blocs: builtin_blocs()
                .into_iter()
                .map(|b| (b.name.clone(), b))
                .collect(),
        }
    }

    /// All blocs, by name.
    pub fn blocs(&self) -> impl Iterator<Item = &Bloc> {
        self.blocs.values()
    }

    /// A bloc by name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Bloc> {
        self.blocs.get(&name.to_ascii_uppercase())
    }

    /// A bloc by name, or an error that lists the names and suggests the nearest.
    pub fn lookup(&self, name: &str) -> Result<&Bloc> {
        self.get(name).ok_or_else(|| {
            let names: Vec<&str> = self.blocs.keys().map(String::as_str).collect();
            Error::Unknown {
                kind: "bloc",
                name: name.to_string(),
                suggestion: nearest(name, names.iter().copied()),
                valid: names.join(", "),
            }
        })
    }

    /// Adds the blocs of a TOML file:
    ///
    /// ```toml
    /// [bloc.NORDIC]
    /// members = ["DNK", "FIN", "ISL", "NOR", "SWE"]
    /// title = "Nordic countries"          # optional
    /// source = "Nordic Council"           # optional
    /// ```
    ///
    /// Names must be upper case letters, digits and `_`, and must not shadow a built-in bloc.
    pub fn add_toml(&mut self, text: &str, file: &Path) -> Result<()> {
        let f = file.display().to_string();
        let parsed: CustomFile = toml::from_str(text).map_err(|e| Error::Format {
            file: f.clone(),
            detail: e.to_string().trim().replace('\n', " "),
        })?;
        let builtin = Registry::builtin();
        for (name, b) in parsed.bloc {
            let upper = name.to_ascii_uppercase();
            let bad = |detail: String| Error::Format {
                file: f.clone(),
                detail: format!("bloc '{name}': {detail}"),
            };
            if upper.is_empty()
                || !upper
                    .bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
                || upper.as_bytes()[0].is_ascii_digit()
            {
                return Err(bad(
                    "a bloc name is letters, digits and '_', starting with a letter".into(),
                ));
            }
            if builtin.get(&upper).is_some() {
                return Err(bad("this name is a built-in bloc; choose another".into()));
            }
            if is_iso3(&upper) {
                return Err(bad(
                    "a three-letter name would be read as a country code; choose a longer name"
                        .into(),
                ));
            }
            if b.members.is_empty() {
                return Err(bad("'members' is empty".into()));
            }
            let mut ms = Vec::new();
            for m in &b.members {
                let code = m.trim().to_ascii_uppercase();
                // ISO3 codes, or a dataset's own region codes (e.g. ROW, R01): short, letters and digits.
                if !(2..=5).contains(&code.len())
                    || !code
                        .bytes()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
                {
                    return Err(bad(format!(
                        "member '{m}' is not a country code (ISO3, e.g. DEU, or a region code of the dataset)"
                    )));
                }
                ms.push(Member {
                    iso3: code,
                    from: None,
                    until: None,
                });
            }
            self.blocs.insert(
                upper.clone(),
                Bloc {
                    name: upper,
                    title: b.title.unwrap_or_else(|| "custom bloc".into()),
                    source: b.source.unwrap_or_else(|| f.clone()),
                    checked: Date::today(),
                    notes: b.notes.unwrap_or_default(),
                    members: ms,
                    recorded_from: None,
                },
            );
        }
        Ok(())
    }

    /// Adds the blocs of a TOML file on disk (see [`Registry::add_toml`]).
    pub fn add_file(&mut self, path: &Path) -> Result<()> {
        let text = crate::read::read_text(path)?;
        self.add_toml(&text, path)
    }

    /// Evaluates a bloc expression on `as_of`.
    ///
    /// Grammar: `expr := term (('+' | '-') term)*`, `term := atom ('&' atom)*`,
    /// `atom := BLOC | ISO3 | '(' expr ')'`; `+` is union, `-` difference, `&` intersection (binding tighter).
    /// A three-letter atom that is not a bloc name is a country code; with a dataset's codes, `ALL` is every
    /// region of the dataset (e.g. `ALL-BRICS`). Spaces are ignored.
    pub fn eval(&self, expr: &str, as_of: Date) -> Result<Selection> {
        self.eval_with_codes(expr, as_of, &[])
    }

    /// [`Registry::eval`], also accepting the given region codes as atoms (a dataset's own codes that are
    /// not ISO3-shaped, e.g. `ROW` aggregates or `R01` in generated tables).
    pub fn eval_with_codes(&self, expr: &str, as_of: Date, codes: &[&str]) -> Result<Selection> {
        let tokens = tokenize(expr)?;
        let mut p = Parser {
            reg: self,
            expr,
            tokens: &tokens,
            pos: 0,
            as_of,
            codes,
            used: BTreeMap::new(),
            named: BTreeSet::new(),
        };
        let set = p.expr()?;
        if p.pos != tokens.len() {
            return Err(expr_err(
                expr,
                &format!("unexpected '{}'", tokens[p.pos].text()),
            ));
        }
        if set.is_empty() {
            return Err(Error::EmptyBloc {
                expr: expr.to_string(),
                as_of: as_of.to_string(),
                detail: p
                    .used
                    .iter()
                    .map(|(n, m)| format!("{n} had {} members", m.len()))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(Selection {
            expr: expr.trim().to_string(),
            as_of,
            members: set.into_iter().collect(),
            blocs: p.used,
            countries: p.named.into_iter().collect(),
        })
    }
}

/// The result of a bloc expression on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// The expression as given.
    pub expr: String,
    /// The date membership was taken on.
    pub as_of: Date,
    /// Member countries (ISO3), sorted.
    pub members: Vec<String>,
    /// Each bloc the expression named, with its members on that date.
    pub blocs: BTreeMap<String, Vec<String>>,
    /// Country (region) codes the expression names directly, sorted.
    pub countries: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Op(char),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Name(s) => s.clone(),
            Tok::Op(c) => c.to_string(),
        }
    }
}

fn expr_err(expr: &str, detail: &str) -> Error {
    Error::BlocExpr {
        expr: expr.to_string(),
        detail: detail.to_string(),
    }
}

fn tokenize(expr: &str) -> Result<Vec<Tok>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in expr.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            // As written: bloc names and ISO3 codes match in any case, a dataset's own codes (pymrio's
            // `reg1`) in theirs (see `Parser::atom`).
            cur.push(c);
            continue;
        }
        if !cur.is_empty() {
            out.push(Tok::Name(std::mem::take(&mut cur)));
        }
        match c {
            '+' | '-' | '&' | '(' | ')' => out.push(Tok::Op(c)),
            c if c.is_whitespace() => {}
            ',' => {
                return Err(expr_err(
                    expr,
                    "use '+' to list several countries or blocs (e.g. DEU+FRA), not ','",
                ));
            }
            _ => return Err(expr_err(expr, &format!("unexpected character '{c}'"))),
        }
    }
    if !cur.is_empty() {
        out.push(Tok::Name(cur));
    }
    if out.is_empty() {
        return Err(expr_err(expr, "empty expression"));
    }
    Ok(out)
}

struct Parser<'a> {
    reg: &'a Registry,
    expr: &'a str,
    tokens: &'a [Tok],
    pos: usize,
    as_of: Date,
    codes: &'a [&'a str],
    used: BTreeMap<String, Vec<String>>,
    named: BTreeSet<String>,
}

impl Parser<'_> {
    fn peek_op(&self) -> Option<char> {
        match self.tokens.get(self.pos) {
            Some(Tok::Op(c)) => Some(*c),
            _ => None,
        }
    }

    fn expr(&mut self) -> Result<BTreeSet<String>> {
        let mut acc = self.term()?;
        while let Some(op @ ('+' | '-')) = self.peek_op() {
            self.pos += 1;
            let rhs = self.term()?;
            if op == '+' {
                acc.extend(rhs);
            } else {
                acc.retain(|c| !rhs.contains(c));
            }
        }
        Ok(acc)
    }

    fn term(&mut self) -> Result<BTreeSet<String>> {
        let mut acc = self.atom()?;
        while self.peek_op() == Some('&') {
            self.pos += 1;
            let rhs = self.atom()?;
            acc.retain(|c| rhs.contains(c));
        }
        Ok(acc)
    }

    fn atom(&mut self) -> Result<BTreeSet<String>> {
        let tok = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        match tok {
            Some(Tok::Op('(')) => {
                let set = self.expr()?;
                if self.peek_op() != Some(')') {
                    return Err(expr_err(self.expr, "missing ')'"));
                }
                self.pos += 1;
                Ok(set)
            }
            Some(Tok::Name(written)) => {
                let name = written.to_ascii_uppercase();
                // A bloc name first (in any case); then a dataset's own code, as written or differing only in
                // case (pymrio's `reg1`); then the name upper-cased as an ISO3 code.
                let own = self
                    .codes
                    .iter()
                    .find(|c| **c == written)
                    .or_else(|| self.codes.iter().find(|c| c.eq_ignore_ascii_case(&written)))
                    .filter(|c| self.reg.get(c).is_none());
                if let Some(code) = own
                    && !(name == "ALL" && self.reg.get("ALL").is_none())
                {
                    self.named.insert(code.to_string());
                    return Ok(BTreeSet::from([code.to_string()]));
                }
                if name == "ALL" && !self.codes.is_empty() && self.reg.get("ALL").is_none() {
                    // Every region of the dataset.
                    Ok(self.codes.iter().map(|c| c.to_string()).collect())
                } else if let Some(b) = self.reg.get(&name) {
                    if let Some(from) = b.recorded_from
                        && self.as_of < from
                    {
                        return Err(Error::Request(format!(
                            "{} as of {}: its membership is recorded from {from} ({}); give --as-of {from} or later",
                            b.name,
                            self.as_of,
                            if b.name == "OPEC" {
                                "only the spells since 2007 are recorded"
                            } else {
                                "it did not exist before"
                            }
                        )));
                    }
                    let m = b.members_on(self.as_of);
                    self.used.insert(b.name.clone(), m.clone());
                    Ok(m.into_iter().collect())
                } else if is_iso3(&name) || self.codes.contains(&name.as_str()) {
                    self.named.insert(name.clone());
                    Ok(BTreeSet::from([name]))
                } else {
                    let names: Vec<&str> = self.reg.blocs.keys().map(String::as_str).collect();
                    Err(Error::Unknown {
                        kind: "bloc",
                        name: name.clone(),
                        suggestion: nearest(&name, names.iter().chain(self.codes).copied()),
                        valid: format!("{} (or an ISO3 country code)", names.join(", ")),
                    })
                }
            }
            Some(t) => Err(expr_err(
                self.expr,
                &format!("expected a bloc or country, found '{}'", t.text()),
            )),
            None => Err(expr_err(self.expr, "expected a bloc or country at the end")),
        }
    }
}

/// A selection mapped onto the regions of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The selection.
    pub selection: Selection,
    /// Region indices of the table, sorted.
    pub regions: Vec<usize>,
    /// Region codes used (the members the table carries).
    pub used: Vec<String>,
    /// Members the table does not carry as separate regions.
    pub absent: Vec<String>,
}

impl Resolved {
    /// One plain line on members that are absent, e.g. `EAEU: ARM, KGZ are not separate regions in icio2022`;
    /// `None` when all are present.
    pub fn absent_note(&self, dataset: &str) -> Option<String> {
        match self.absent.len() {
            0 => None,
            1 => Some(format!(
                "{}: {} is not a separate region in {dataset}",
                self.selection.expr, self.absent[0]
            )),
            _ => Some(format!(
                "{}: {} are not separate regions in {dataset}",
                self.selection.expr,
                self.absent.join(", ")
            )),
        }
    }
}

/// Maps a selection onto a table's regions. Country codes written explicitly in the expression must exist
/// in the table (an error suggests the nearest region code); members that come from a bloc and are not in
/// the table are listed in [`Resolved::absent`]. No region of the table at all is an error.
pub fn resolve(
    reg: &Registry,
    expr: &str,
    as_of: Date,
    labels: &Labels,
    dataset: &str,
) -> Result<Resolved> {
    let codes: Vec<&str> = labels.regions.iter().map(|r| r.code.as_str()).collect();
    let sel = reg.eval_with_codes(expr, as_of, &codes)?;
    for n in &sel.countries {
        if !codes.contains(&n.as_str()) {
            return Err(Error::Unknown {
                kind: "region",
                name: n.clone(),
                suggestion: nearest(
                    n,
                    codes
                        .iter()
                        .copied()
                        .chain(reg.blocs.keys().map(String::as_str)),
                ),
                valid: format!(
                    "the {} regions of {dataset} ({}), ALL, or a bloc ({})",
                    codes.len(),
                    codes.join(" "),
                    reg.blocs.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    let mut regions = Vec::new();
    let mut used = Vec::new();
    let mut absent = Vec::new();
    for m in &sel.members {
        match codes.iter().position(|c| c == m) {
            Some(i) => {
                regions.push(i);
                used.push(m.clone());
            }
            None => absent.push(m.clone()),
        }
    }
    if regions.is_empty() {
        return Err(Error::EmptyBloc {
            expr: expr.to_string(),
            as_of: as_of.to_string(),
            detail: format!(
                "none of its members ({}) is a region of {dataset}",
                sel.members.join(" ")
            ),
        });
    }
    regions.sort_unstable();
    Ok(Resolved {
        selection: sel,
        regions,
        used,
        absent,
    })
}

/// Levenshtein distance (for suggestions).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate nearest to `name` (edit distance, ties broken by order), if it is plausibly a typo: at most
/// half the length of the name away, or the name is a prefix of it.
pub fn nearest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lname = name.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if c.to_lowercase().starts_with(&lname) && !lname.is_empty() {
            0
        } else {
            distance(name, c)
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.filter(|(d, _)| *d <= name.chars().count().div_ceil(2))
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn dates() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(20_415).to_string(),
            "2025-11-23"
        );
        assert_eq!(
            Date::from_days_since_epoch(11_016).to_string(),
            "2000-02-29"
        );
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2024-2-1").is_none());
        assert!(d("2024-01-01") > d("2023-12-31"));
    }

    #[test]
    fn sizes_of_builtin_blocs() {
        let r = Registry::builtin();
        let today = d("2026-11-23");
        let n = |b: &str| r.get(b).unwrap().members_on(today).len();
        assert_eq!(n("EU27"), 27);
        assert_eq!(n("EU"), 27);
        assert_eq!(n("OECD"), 38);
        assert_eq!(n("G7"), 7);
        assert_eq!(n("G20"), 19);
        assert_eq!(n("EAEU"), 5);
        assert_eq!(n("BRICS"), 10);
        assert_eq!(n("ASEAN"), 11);
        assert_eq!(n("OPEC"), 12);
        assert_eq!(n("UNION_STATE"), 2);
        assert_eq!(n("CIS"), 9);
        assert_eq!(n("USMCA"), 3);
        assert_eq!(n("NAFTA"), 0);
        // Every member code is ISO3-shaped and every date parsed.
        for b in r.blocs() {
            for m in &b.members {
                assert!(is_iso3(&m.iso3), "{}: {}", b.name, m.iso3);
            }
        }
    }

    #[test]
    fn history() {
        let r = Registry::builtin();
        let brics = r.get("BRICS").unwrap();
        assert_eq!(
            brics.members_on(d("2023-12-31")),
            ["BRA", "CHN", "IND", "RUS", "ZAF"]
        );
        assert_eq!(brics.members_on(d("2024-01-01")).len(), 9);
        assert!(
            !brics
                .members_on(d("2025-01-05"))
                .contains(&"IDN".to_string())
        );
        assert!(
            brics
                .members_on(d("2025-01-06"))
                .contains(&"IDN".to_string())
        );
        assert!(
            !brics
                .members_on(d("2026-01-01"))
                .contains(&"SAU".to_string())
        );
        let eu = r.get("EU").unwrap();
        assert_eq!(eu.members_on(d("2019-06-01")).len(), 28);
        assert_eq!(eu.members_on(d("2000-01-01")).len(), 15);
        // Before a bloc existed (or before its record starts) is an error, not its founders.
        let codes: Vec<&str> = Vec::new();
        for (bloc, before, from) in [
            ("EU", "1800-01-01", "1958-01-01"),
            ("G7", "1975-12-31", "1976-06-27"),
            ("OPEC", "2006-12-31", "2007-01-01"),
        ] {
            let e = r.eval_with_codes(bloc, d(before), &codes).unwrap_err();
            assert!(
                e.to_string().contains(&format!("recorded from {from}")),
                "{e}"
            );
            assert!(e.is_usage());
            assert!(r.eval_with_codes(bloc, d(from), &codes).is_ok());
        }
        // A fixed composition answers on any date.
        assert_eq!(
            r.eval_with_codes("EU27", d("1800-01-01"), &codes)
                .unwrap()
                .members
                .len(),
            27
        );
        assert_eq!(r.get("OECD").unwrap().members_on(d("2019-01-01")).len(), 36);
        assert_eq!(r.get("EAEU").unwrap().members_on(d("2015-03-01")).len(), 4);
    }

    #[test]
    fn expressions() {
        let r = Registry::builtin();
        let t = d("2026-11-23");
        let s = r.eval("EU27+G7-DEU", t).unwrap();
        assert_eq!(s.members.len(), 27 + 4 - 1); // G7 adds CAN JPN GBR USA; DEU removed
        assert!(!s.members.contains(&"DEU".to_string()));
        let s = r.eval("BRICS&OPEC", t).unwrap();
        assert_eq!(s.members, ["ARE", "IRN"]);
        let s = r.eval("brics & (opec + rus)", t).unwrap();
        assert_eq!(s.members, ["ARE", "IRN", "RUS"]);
        // `&` binds tighter than `+`.
        let s = r.eval("CHN+BRICS&OPEC", t).unwrap();
        assert_eq!(s.members, ["ARE", "CHN", "IRN"]);
        assert!(matches!(
            r.eval("EU27-EU27", t),
            Err(Error::EmptyBloc { .. })
        ));
        assert!(matches!(
            r.eval("USMCA", d("2019-01-01")),
            Err(Error::Request(m)) if m.contains("recorded from 2020-07-01")
        ));
        assert!(matches!(
            r.eval("NAFTA", d("2021-01-01")),
            Err(Error::EmptyBloc { .. })
        ));
        assert!(matches!(r.eval("EU27+", t), Err(Error::BlocExpr { .. })));
        assert!(matches!(r.eval("(EU27", t), Err(Error::BlocExpr { .. })));
        assert!(matches!(r.eval("DEU,FRA", t), Err(Error::BlocExpr { .. })));
        match r.eval("BRCS", t) {
            Err(Error::Unknown { suggestion, .. }) => {
                assert_eq!(suggestion.as_deref(), Some("BRICS"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn custom_blocs() {
        let mut r = Registry::builtin();
        let p = Path::new("blocs.toml");
        r.add_toml(
            "[bloc.NORDIC]\nmembers = [\"DNK\", \"fin\", \"ISL\", \"NOR\", \"SWE\"]\ntitle = \"Nordics\"\n",
            p,
        )
        .unwrap();
        let s = r.eval("NORDIC-EU27", d("2026-01-01")).unwrap();
        assert_eq!(s.members, ["ISL", "NOR"]);
        for bad in [
            "[bloc.G7]\nmembers=[\"USA\"]\n",
            "[bloc.NOR]\nmembers=[\"USA\"]\n",
            "[bloc.X_1]\nmembers=[]\n",
            "[bloc.X_1]\nmembers=[\"Germany\"]\n",
            "[bloc.X_1]\nmember=[\"DEU\"]\n",
            "[bloc.X_1\n",
        ] {
            let e = Registry::builtin()
                .add_toml(bad, p)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("blocs.toml: "), "{e}");
        }
    }

    #[test]
    fn a_datasets_own_codes_resolve_in_their_case() {
        use crate::labels::Code;
        // pymrio's test system: lower-case region codes.
        let labels = Labels {
            regions: ["reg1", "reg2", "reg3", "eu"].map(Code::bare).to_vec(),
            sectors: vec![Code::bare("a")],
            final_demand: vec![],
            stressors: vec![],
        };
        let r = Registry::builtin();
        let t = d("2026-01-01");
        assert_eq!(resolve(&r, "reg1", t, &labels, "toy").unwrap().regions, [0]);
        assert_eq!(
            resolve(&r, "REG2+reg3", t, &labels, "toy").unwrap().regions,
            [1, 2]
        );
        assert_eq!(
            resolve(&r, "ALL-reg1", t, &labels, "toy").unwrap().regions,
            [1, 2, 3]
        );
        // A bloc's name still means the bloc, whatever a dataset calls a region.
        assert!(matches!(
            resolve(&r, "eu", t, &labels, "toy"),
            Err(Error::EmptyBloc { .. })
        ));
        assert!(matches!(
            resolve(&r, "reg9", t, &labels, "toy"),
            Err(Error::Unknown { .. })
        ));
    }

    #[test]
    fn resolving_reports_absent_members() {
        use crate::labels::Code;
        let labels = Labels {
            regions: ["RUS", "BLR", "KAZ", "CHN", "DEU"].map(Code::bare).to_vec(),
            sectors: vec![Code::bare("A")],
            final_demand: vec![],
            stressors: vec![],
        };
        let r = Registry::builtin();
        let t = d("2026-01-01");
        let res = resolve(&r, "EAEU", t, &labels, "toy").unwrap();
        assert_eq!(res.regions, [0, 1, 2]);
        assert_eq!(res.absent, ["ARM", "KGZ"]);
        assert_eq!(
            res.absent_note("toy").unwrap(),
            "EAEU: ARM, KGZ are not separate regions in toy"
        );
        match resolve(&r, "DEV", t, &labels, "toy") {
            Err(Error::Unknown {
                kind, suggestion, ..
            }) => {
                assert_eq!(kind, "region");
                assert_eq!(suggestion.as_deref(), Some("DEU"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve(&r, "ASEAN", t, &labels, "toy"),
            Err(Error::EmptyBloc { .. })
        ));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            nearest("EAUE", ["EAEU", "EU27"].into_iter()).as_deref(),
            Some("EAEU")
        );
        assert_eq!(nearest("zzzzzz", ["EAEU", "EU27"].into_iter()), None);
        assert_eq!(
            nearest("C2", ["C20", "C10T12"].into_iter()).as_deref(),
            Some("C20")
        );
    }
}
