//! The option loop of `./x` subcommands: one argument at a time, and the value after an
//! option that takes one.

/// The arguments of a subcommand, read in order.
pub struct Options<'a> {
    it: std::slice::Iter<'a, String>,
}

impl<'a> Options<'a> {
    pub fn new(args: &'a [String]) -> Self {
        Self { it: args.iter() }
    }

    /// The value after option `opt`.
    pub fn value(&mut self, opt: &str) -> Result<String, String> {
        self.it
            .next()
            .cloned()
            .ok_or_else(|| format!("{opt} needs a value"))
    }

    /// The value after option `opt`, parsed.
    pub fn parsed<T: std::str::FromStr>(&mut self, opt: &str) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        self.value(opt)?.parse().map_err(|e| format!("{opt}: {e}"))
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.it.next().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_their_option_and_a_missing_one_is_an_error() {
        let args: Vec<String> = ["--cuts", "12", "--tamper", "--seed"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut o = Options::new(&args);
        assert_eq!(o.next(), Some("--cuts"));
        assert_eq!(o.parsed::<u32>("--cuts"), Ok(12));
        assert_eq!(o.next(), Some("--tamper"));
        assert_eq!(o.next(), Some("--seed"));
        assert_eq!(o.value("--seed"), Err("--seed needs a value".to_string()));
        assert_eq!(o.next(), None);
        let bad: Vec<String> = vec!["x".into()];
        assert!(Options::new(&bad).parsed::<u32>("--cuts").is_err());
    }
}
