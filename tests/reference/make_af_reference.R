# Reference values for abcresearch.scoring.alkire_foster from R's survey package.
#
# Run from the repository root:  Rscript tests/reference/make_af_reference.R
# Reads tests/reference/af_data.csv (400 households, 8 strata x 5 PSUs, sampling weights,
# 4 deprivation indicators i1..i4, subgroup grp) and writes tests/reference/af_reference.csv.
#
# Method as mpitbR (Girela, CRAN 1.0.0) computes it, written out with plain survey calls:
#   nested weights w = (1/3, 1/6, 1/6, 1/3) (dimensions {i1}, {i2, i3}, {i4}); k = 1/3;
#   poor iff c >= k (weak inequality; c compared with k - 1e-9 for floating point);
#   H, M0, hd, hdk: svyciprop(method = "logit") with df = degf(design) (svyby for groups,
#   where svyciprop sees the subset design and its degf);
#   A: svyratio(~ck, ~poor) for estimate and SE; logit interval from svyciprop(~ck) on
#   subset(design, poor) (mpitbR's A);
#   contributions: svyratio(~I(w_j * gk_j), ~ck), Wald interval with the domain df.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail")

d <- read.csv("tests/reference/af_data.csv", stringsAsFactors = FALSE)
w <- c(i1 = 1/3, i2 = 1/6, i3 = 1/6, i4 = 1/3)
k <- 1/3
ind <- names(w)
d$c <- as.vector(as.matrix(d[, ind]) %*% w)
d$poor <- as.numeric(d$c >= k - 1e-9)
d$ck <- d$c * d$poor
for (j in ind) {
  d[[paste0("gk_", j)]] <- d[[j]] * d$poor
  d[[paste0("wgk_", j)]] <- w[[j]] * d[[j]] * d$poor
}
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d)

out <- list()
add <- function(measure, group, indicator, est, se, lo, hi, df) {
  out[[length(out) + 1]] <<- data.frame(measure = measure, group = group, indicator = indicator,
    estimate = est, se = se, ci_low = lo, ci_high = hi, df = df)
}
ciprop_row <- function(measure, group, indicator, var, design) {
  r <- svyciprop(as.formula(paste0("~", var)), design, method = "logit", level = 0.95)
  ci <- confint(r)
  add(measure, group, indicator, as.numeric(r), as.numeric(SE(r)), ci[1], ci[2], degf(design))
}
ratio_row <- function(measure, group, indicator, num, den, design, wald = TRUE) {
  r <- svyratio(as.formula(paste0("~", num)), as.formula(paste0("~", den)), design)
  est <- as.numeric(coef(r)); se <- as.numeric(SE(r)); df <- degf(design)
  q <- qt(0.975, df)
  add(measure, group, indicator, est, se, est - q * se, est + q * se, df)
}
for (g in c("all", sort(unique(d$grp)))) {
  dg <- if (g == "all") des else subset(des, grp == g)
  ciprop_row("H", g, "", "poor", dg)
  ciprop_row("M0", g, "", "ck", dg)
  # A: svyratio estimate/SE; logit CI and df from svyciprop on the poor subset (mpitbR)
  ra <- svyratio(~ck, ~poor, dg)
  dp <- subset(dg, poor == 1)
  ca <- svyciprop(~ck, dp, method = "logit", level = 0.95)
  cia <- confint(ca)
  add("A", g, "", as.numeric(coef(ra)), as.numeric(SE(ra)), cia[1], cia[2], degf(dp))
  add("A_svymean_poor", g, "", as.numeric(ca), as.numeric(SE(ca)), cia[1], cia[2], degf(dp))
  for (j in ind) {
    ciprop_row("hd", g, j, j, dg)
    ciprop_row("hdk", g, j, paste0("gk_", j), dg)
    ratio_row("pctb", g, j, paste0("wgk_", j), "ck", dg)
  }
}
# population shares of the groups (svymean of the factor), Wald-free: estimate and SE only
ps <- svymean(~factor(grp), des)
for (i in seq_along(coef(ps))) {
  g <- sub("factor\\(grp\\)", "", names(coef(ps))[i])
  add("population_share", g, "", as.numeric(coef(ps)[i]), as.numeric(SE(ps)[i]), NA, NA, degf(des))
}
res <- do.call(rbind, out)
write.csv(res, "tests/reference/af_reference.csv", row.names = FALSE)
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           "tests/reference/af_versions.txt")
