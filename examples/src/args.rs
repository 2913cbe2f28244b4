//! A tiny command-line reader for the example programs: `--name value`
//! options, `--flag` switches and positional words, with a usage text.

use std::collections::HashMap;

/// Parsed command-line arguments.
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<String, String>,
    flags: Vec<String>,
    /// Words that are not options, in order.
    pub positional: Vec<String>,
}

impl Args {
    /// Reads `words` (without the program name): `switches` are the option
    /// names (without `--`) that take no value; every other `--name` takes
    /// the next word. `--` ends the options.
    pub fn parse<I: IntoIterator<Item = String>>(
        words: I,
        switches: &[&str],
    ) -> Result<Args, String> {
        let mut a = Args::default();
        let mut it = words.into_iter();
        let mut only_positional = false;
        while let Some(w) = it.next() {
            if only_positional {
                a.positional.push(w);
                continue;
            }
            if w == "--" {
                only_positional = true;
                continue;
            }
            let Some(name) = w.strip_prefix("--") else {
                a.positional.push(w);
                continue;
            };
            if let Some((n, v)) = name.split_once('=') {
                a.values.insert(n.to_owned(), v.to_owned());
            } else if switches.contains(&name) || name == "help" {
                a.flags.push(name.to_owned());
            } else {
                let v = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
                a.values.insert(name.to_owned(), v);
            }
        }
        Ok(a)
    }

    /// Whether `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    /// The value of `--name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `--name`, or an error naming it.
    pub fn require(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("--{name} is required"))
    }

    /// Fails naming the first option or switch given that is not in
    /// `known` (`--help` is always known), so a mistyped option is not
    /// silently ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), String> {
        let given = self.values.keys().chain(self.flags.iter());
        match given
            .filter(|n| *n != "help" && !known.contains(&n.as_str()))
            .min()
        {
            Some(n) => Err(format!("unknown option --{n} (see --help)")),
            None => Ok(()),
        }
    }

    /// The value of `--name` parsed as `T`, or `default`.
    pub fn parsed<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: cannot read {v:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_switches_and_positionals() {
        let a = Args::parse(words("--to sip:b@x --cpim hello --n=3 -- --x"), &["cpim"]).unwrap();
        assert_eq!(a.get("to"), Some("sip:b@x"));
        assert!(a.flag("cpim"));
        assert!(!a.flag("tcp"));
        assert_eq!(a.parsed::<u32>("n", 0).unwrap(), 3);
        assert_eq!(a.parsed::<u32>("m", 7).unwrap(), 7);
        assert_eq!(a.positional, vec!["hello".to_owned(), "--x".to_owned()]);
        assert!(a.require("server").unwrap_err().contains("--server"));
    }

    #[test]
    fn unknown_options_are_named() {
        let a = Args::parse(words("--to x --tcp --help --colour red"), &["tcp"]).unwrap();
        assert!(a.only(&["to", "tcp", "colour"]).is_ok());
        let e = a.only(&["to", "tcp"]).unwrap_err();
        assert!(e.contains("--colour"), "{e}");
        assert!(a.only(&["to", "colour"]).unwrap_err().contains("--tcp"));
    }

    #[test]
    fn missing_value_and_bad_number_are_errors() {
        assert!(Args::parse(words("--server"), &[]).is_err());
        let a = Args::parse(words("--expires soon"), &[]).unwrap();
        assert!(a.parsed::<u32>("expires", 0).is_err());
    }
}
