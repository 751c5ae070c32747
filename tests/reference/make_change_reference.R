# Reference values from R's survey package for change between rounds on stacked samples
# (tests/test_stats_change.py).
#
# Run from the project root:  Rscript tests/reference/make_change_reference.R
# Inputs : tests/reference/data/rollout_stacked.csv (rounds 2562 and 2563; 9 villages surveyed
#          in both rounds, 80 households matched by hh_key) and
#          tests/reference/data/rollout_census_stacked.csv (every village surveyed in both
#          rounds; 76 households matched), both made by tests/reference/make_rollout.py.
# Output : tests/reference/change.csv, change_versions.txt.
#
# Change = later minus earlier = svycontrast(svyby(~y, ~round, design, svymean,
# covmat = TRUE), c(-1, 1)), on a with-replacement design without fpc whose PSU is carried
# across rounds:
#   village    svydesign(ids = ~village_code, strata = ~amphoe_code, weights = ~weight,
#                        nest = TRUE)   (shared village PSUs)
#   household  svydesign(ids = ~hh_key, strata = ~village_code, weights = ~weight,
#                        nest = TRUE)   (shared household PSUs)
# options(survey.lonely.psu = "adjust"). Measures (complete cases per measure): the mean of a
# capital score (human; physical has missing values), the share of households at overall
# level 1, M0 (mean of the censored deprivation score c(k): equal weights 1/7 over the seven
# capitals, k = 1/3, poor iff c >= k, as the default scoring scheme), and the income-poverty
# headcount (income per person below the round's BMN line). df = degf of the design restricted
# to the rows of both rounds with the measure present (and the domain, for by-tambon rows).
# df_smaller_round (df_rule = "smaller_round", the product's default in params/change.yaml) =
# the smaller of the two rounds' own degf, each round's rows of those alone; the interval
# ci_*_smaller_round uses it with the same estimate and SE.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust", survey.adjust.domain.lonely = FALSE)
here <- "tests/reference"
fmt <- function(x) if (is.numeric(x)) trimws(formatC(x, digits = 17, format = "g")) else x
cc <- c(amphoe_code = "character", tambon_code = "character", village_code = "character",
        hh_key = "character")
caps <- c("human", "physical", "financial", "social", "cultural", "wisdom", "natural")
prep <- function(d) {
  dep <- as.matrix(d[, paste0("dep_", caps)])
  d$c <- as.vector(dep %*% rep(1 / 7, 7))
  d$m0 <- ifelse(is.na(d$c), NA, d$c * (d$c >= 1 / 3 - 1e-9))
  d$poverty <- as.numeric(d$fin_income_year / d$hh_size < d$poverty_line)
  d
}
st <- prep(read.csv(file.path(here, "data", "rollout_stacked.csv"), colClasses = cc))
ce <- prep(read.csv(file.path(here, "data", "rollout_census_stacked.csv"), colClasses = cc))
designs <- list(
  village = svydesign(ids = ~village_code, strata = ~amphoe_code, weights = ~weight,
                      nest = TRUE, data = st),
  household = svydesign(ids = ~hh_key, strata = ~village_code, weights = ~weight,
                        nest = TRUE, data = ce)
)
measures <- c(mean_human = "human", mean_physical = "physical", share_level1 = "level1",
              m0 = "m0", poverty_headcount = "poverty")
out <- list()
one <- function(dname, des, measure, var, by, group) {
  b <- svyby(as.formula(paste0("~", var)), ~round, des, svymean, covmat = TRUE)
  if (nrow(b) < 2) return(invisible(NULL))
  ct <- svycontrast(b, c(-1, 1))
  df <- degf(des)
  q <- qt(0.975, df)
  est <- coef(ct)[[1]]
  se <- SE(ct)[[1]]
  # the smaller of the two rounds' own df (each round's rows of the domain alone)
  df_small <- min(sapply(b$round, function(r) degf(des[des$variables$round == r, ])))
  q_small <- qt(0.975, df_small)
  out[[length(out) + 1]] <<- data.frame(
    design = dname, measure = measure, by = by, group = group, round_from = b$round[1],
    round_to = b$round[2], estimate = fmt(est), se = fmt(se), ci_low = fmt(est - q * se),
    ci_high = fmt(est + q * se), df = df, n = nrow(des), estimate_from = fmt(coef(b)[[1]]),
    estimate_to = fmt(coef(b)[[2]]), df_smaller_round = df_small,
    ci_low_smaller_round = fmt(est - q_small * se),
    ci_high_smaller_round = fmt(est + q_small * se))
}
for (dname in names(designs)) {
  des <- designs[[dname]]
  for (m in names(measures)) {
    var <- measures[[m]]
    ok <- !is.na(des$variables[[var]])
    dd <- des[ok, ]
    one(dname, dd, m, var, "", "")
    for (t in sort(unique(des$variables$tambon_code))) {
      dt <- dd[dd$variables$tambon_code == t, ]
      if (length(unique(dt$variables$round)) == 2) one(dname, dt, m, var, "tambon_code", t)
    }
  }
}
write.csv(do.call(rbind, out), file.path(here, "change.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(here, "change_versions.txt"))
cat("change reference written to", here, "\n")
