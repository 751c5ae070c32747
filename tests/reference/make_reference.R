# Reference values from R's survey package for tests/test_stats_*.py.
#
# Run from the project root:  Rscript tests/reference/make_reference.R
# Inputs : survey's own api data (exported here to tests/reference/data/api*.csv) and
#          tests/reference/data/households.csv (made by tests/reference/make_synthetic.py).
# Outputs: tests/reference/*.csv (see README.md). Numbers are written with 17 significant
#          digits so the tests can compare to 1e-8 relative.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

here <- "tests/reference"
dir.create(file.path(here, "data"), showWarnings = FALSE)
data(api)

keep <- c("cds", "stype", "dnum", "snum", "pw", "fpc", "api00", "api99", "enroll",
          "acs.k3", "sch.wide", "awards", "meals", "ell", "both")
prep_api <- function(d) {
  d <- d[, keep]
  names(d) <- gsub(".", "_", names(d), fixed = TRUE)
  d$stype <- as.character(d$stype)
  d$sch_wide <- as.character(d$sch_wide)
  d$awards <- as.character(d$awards)
  d$both <- as.character(d$both)
  d$sch_wide01 <- as.numeric(d$sch_wide == "Yes")
  d
}
apistrat_x <- prep_api(apistrat)
apiclus1_x <- prep_api(apiclus1)
# write.csv keeps only 15 significant digits: write 17 so Python reads the same doubles
write_exact <- function(d, path) {
  d[] <- lapply(d, function(x) if (is.double(x)) trimws(formatC(x, digits = 17, format = "g"))
                                 else x)
  write.csv(d, path, row.names = FALSE)
}
write_exact(apistrat_x, file.path(here, "data", "apistrat.csv"))
write_exact(apiclus1_x, file.path(here, "data", "apiclus1.csv"))
hh <- read.csv(file.path(here, "data", "households.csv"),
               colClasses = c(tambon = "character", village = "character",
                              tambon_l = "character", hh_id = "character"))
hh$debt01 <- hh$debt
hh$lowinc <- as.numeric(hh$income / hh$members < 38000)

designs <- list(
  strat = svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = apistrat_x),
  strat_fpc = svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat_x),
  clus1 = svydesign(ids = ~dnum, weights = ~pw, data = apiclus1_x),
  clus1_fpc = svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1_x),
  hh = svydesign(ids = ~village, strata = ~tambon, weights = ~weight, data = hh),
  hh_fpc = svydesign(ids = ~village, strata = ~tambon, weights = ~weight, fpc = ~villages_pop,
                     data = hh)
)
# lonely-PSU variants (stratum 800104 has a single village)
lonely_rules <- c("adjust", "average", "remove", "certainty")
for (rule in lonely_rules) {
  designs[[paste0("hh_lonely_", rule)]] <- svydesign(ids = ~village, strata = ~tambon_l,
                                                     weights = ~weight, data = hh)
}
rule_of <- function(name) if (grepl("^hh_lonely_", name)) sub("hh_lonely_", "", name) else "fail"

spec <- list(
  api = list(num = c("api00", "enroll", "acs_k3"), by = "stype", cat = "awards",
             bin = "sch_wide01", ratio = c("api00", "api99"), q = "api00", qna = "acs_k3",
             tab = c("sch_wide", "stype"), glm = "api00 ~ ell + meals",
             diff = c("E", "H")),
  hh = list(num = c("income", "score", "members"), by = "tambon", cat = "level",
            bin = "debt01", ratio = c("expense", "income"), q = "income", qna = "income",
            tab = c("level", "tambon"), glm = "income ~ members + score",
            diff = c("800101", "800103"))
)

fmt <- function(x) if (is.numeric(x)) trimws(formatC(x, digits = 17, format = "g")) else x
out <- list()
add <- function(...) {
  r <- data.frame(..., stringsAsFactors = FALSE)
  out[[length(out) + 1]] <<- r
}
dfree <- function(des, mask) degf(des[mask, ])

for (dname in names(designs)) {
  options(survey.lonely.psu = rule_of(dname))
  des <- designs[[dname]]
  s <- if (grepl("^hh", dname)) spec$hh else spec$api
  v <- des$variables
  groups <- sort(unique(v[[s$by]]))
  for (na_rm in c(FALSE, TRUE)) {
    for (var in s$num) {
      if (!na_rm && !any(is.na(v[[var]])) && FALSE) next
      f <- as.formula(paste0("~", var))
      ok <- !is.na(v[[var]])
      # whole sample
      m <- svymean(f, des, na.rm = na_rm, deff = TRUE)
      t <- svytotal(f, des, na.rm = na_rm, deff = TRUE)
      df0 <- dfree(des, ok)
      for (est in list(list("mean", m), list("total", t))) {
        e <- est[[2]]
        add(design = dname, estimator = est[[1]], var = var, by = "", group = "", category = "",
            q = NA, na_rm = na_rm, estimate = coef(e)[[1]], se = SE(e)[[1]],
            ci_low = confint(e, df = df0)[1, 1], ci_high = confint(e, df = df0)[1, 2],
            df = df0, n = sum(ok), n_missing = sum(!ok), deff = deff(e)[[1]])
      }
      # domains: svyby, i.e. subset designs that keep the full design
      for (stat in c("mean", "total")) {
        fun <- if (stat == "mean") svymean else svytotal
        b <- svyby(f, as.formula(paste0("~", s$by)), des, fun, na.rm = na_rm, deff = TRUE,
                   keep.var = TRUE)
        for (g in groups) {
          mask <- v[[s$by]] == g & ok
          dfg <- dfree(des, mask)
          i <- which(as.character(b[[s$by]]) == g)
          est <- b[i, var]
          se <- SE(b)[i]
          q <- qt(0.975, dfg)
          add(design = dname, estimator = stat, var = var, by = s$by, group = g, category = "",
              q = NA, na_rm = na_rm, estimate = est, se = se, ci_low = est - q * se,
              ci_high = est + q * se, df = dfg, n = sum(mask), n_missing = sum(v[[s$by]] == g & !ok),
              deff = deff(b)[i])
        }
      }
    }
    # ratio
    rv <- s$ratio
    okr <- !is.na(v[[rv[1]]]) & !is.na(v[[rv[2]]])
    r <- svyratio(as.formula(paste0("~", rv[1])), as.formula(paste0("~", rv[2])), des,
                  na.rm = na_rm)
    df0 <- dfree(des, okr)
    add(design = dname, estimator = "ratio", var = paste(rv, collapse = "/"), by = "",
        group = "", category = "", q = NA, na_rm = na_rm, estimate = coef(r)[[1]],
        se = SE(r)[[1]], ci_low = confint(r, df = df0)[1, 1], ci_high = confint(r, df = df0)[1, 2],
        df = df0, n = sum(okr), n_missing = sum(!okr), deff = NA)
    for (g in groups) {
      mask <- v[[s$by]] == g
      r <- svyratio(as.formula(paste0("~", rv[1])), as.formula(paste0("~", rv[2])),
                    des[mask, ], na.rm = na_rm)
      dfg <- dfree(des, mask & okr)
      add(design = dname, estimator = "ratio", var = paste(rv, collapse = "/"), by = s$by,
          group = g, category = "", q = NA, na_rm = na_rm, estimate = coef(r)[[1]],
          se = SE(r)[[1]], ci_low = confint(r, df = dfg)[1, 1],
          ci_high = confint(r, df = dfg)[1, 2], df = dfg, n = sum(mask & okr), n_missing = sum(mask & !okr), deff = NA)
    }
    # proportion of categories
    cv <- s$cat
    fcat <- as.formula(paste0("~factor(", cv, ")"))
    okc <- !is.na(v[[cv]])
    lv <- sort(unique(v[[cv]][okc]))
    for (g in c("", groups)) {
      mask <- if (g == "") rep(TRUE, nrow(v)) else v[[s$by]] == g
      p <- svymean(fcat, des[mask, ], na.rm = na_rm)
      dfg <- dfree(des, mask & okc)
      ci <- confint(p, df = dfg)
      for (k in seq_along(lv)) {
        add(design = dname, estimator = "proportion", var = cv, by = if (g == "") "" else s$by,
            group = g, category = lv[k], q = NA, na_rm = na_rm, estimate = coef(p)[[k]],
            se = SE(p)[[k]], ci_low = ci[k, 1], ci_high = ci[k, 2], df = dfg,
            n = sum(mask & okc), n_missing = sum(mask & !okc), deff = NA)
      }
    }
    # logit CI for a 0/1 variable
    bv <- s$bin
    okb <- !is.na(v[[bv]])
    for (g in c("", groups)) {
      mask <- if (g == "") rep(TRUE, nrow(v)) else v[[s$by]] == g
      dsub <- des[mask, ]
      dfg <- dfree(des, mask & okb)
      if (!na_rm && any(is.na(v[[bv]][mask]))) next  # R's svyciprop ignores na.rm for the point
      cp <- svyciprop(as.formula(paste0("~", bv)), dsub, method = "logit", na.rm = na_rm,
                      df = dfg)
      ci <- attr(cp, "ci")
      add(design = dname, estimator = "ciprop", var = bv, by = if (g == "") "" else s$by,
          group = g, category = "", q = NA, na_rm = na_rm, estimate = coef(cp)[[1]],
          se = SE(cp)[[1]], ci_low = ci[[1]], ci_high = ci[[2]], df = dfg,
          n = sum(mask & okb), n_missing = sum(mask & !okb), deff = NA)
    }
    # quantiles (survey >= 4: qrule = "math", interval.type = "mean" are the defaults)
    qv <- if (na_rm) s$qna else s$q
    okq <- !is.na(v[[qv]])
    if (!na_rm && !all(okq)) next
    for (g in c("", groups)) {
      mask <- if (g == "") rep(TRUE, nrow(v)) else v[[s$by]] == g
      dsub <- des[mask, ]
      if (sum(mask & okq) < 2) next
      sq <- svyquantile(as.formula(paste0("~", qv)), dsub, c(0.25, 0.5, 0.9), na.rm = na_rm)
      mat <- sq[[qv]]
      dfg <- dfree(des, mask & okq)
      for (k in 1:3) {
        add(design = dname, estimator = "quantile", var = qv, by = if (g == "") "" else s$by,
            group = g, category = "", q = c(0.25, 0.5, 0.9)[k], na_rm = na_rm,
            estimate = mat[k, 1], se = mat[k, 4], ci_low = mat[k, 2], ci_high = mat[k, 3],
            df = dfg, n = sum(mask & okq), n_missing = sum(mask & !okq), deff = NA)
      }
    }
  }
}
est <- do.call(rbind, out)
est[] <- lapply(est, fmt)
write.csv(est, file.path(here, "estimates.csv"), row.names = FALSE)

# ---- total_vcov: covariance of weighted totals of two columns ---------------------------
vc <- list()
for (dname in names(designs)) {
  options(survey.lonely.psu = rule_of(dname))
  des <- designs[[dname]]
  cols <- if (grepl("^hh", dname)) c("members", "expense") else c("api00", "enroll")
  t <- svytotal(as.formula(paste0("~", paste(cols, collapse = "+"))), des)
  V <- vcov(t)
  # domain version: first stratum/group only, subset design
  s <- if (grepl("^hh", dname)) spec$hh else spec$api
  g1 <- sort(unique(des$variables[[s$by]]))[1]
  td <- svytotal(as.formula(paste0("~", paste(cols, collapse = "+"))),
                 des[des$variables[[s$by]] == g1, ])
  Vd <- vcov(td)
  for (i in 1:2) for (j in 1:2) {
    vc[[length(vc) + 1]] <- data.frame(design = dname, domain = "", col_i = cols[i],
                                       col_j = cols[j], value = fmt(V[i, j]))
    vc[[length(vc) + 1]] <- data.frame(design = dname, domain = g1, col_i = cols[i],
                                       col_j = cols[j], value = fmt(Vd[i, j]))
  }
}
write.csv(do.call(rbind, vc), file.path(here, "total_vcov.csv"), row.names = FALSE)

# ---- comparisons: domain mean difference, Rao-Scott F, svyglm, design df ----------------
cmp <- list()
glm_rows <- list()
deg <- list()
for (dname in names(designs)) {
  options(survey.lonely.psu = rule_of(dname))
  des <- designs[[dname]]
  s <- if (grepl("^hh", dname)) spec$hh else spec$api
  v <- des$variables
  deg[[length(deg) + 1]] <- data.frame(design = dname, degf = degf(des), n = nrow(des))
  var <- s$num[1]
  ab <- s$diff
  # svyby(covmat = TRUE) fails with na.rm = TRUE in survey 4.1-1: drop the NA rows by
  # subsetting (which keeps the full design), then estimate without na.rm
  des_ok <- des[!is.na(v[[var]]), ]
  b <- svyby(as.formula(paste0("~", var)), as.formula(paste0("~", s$by)), des_ok, svymean,
             covmat = TRUE)
  w <- setNames(rep(0, nrow(b)), rownames(b))
  w[ab[1]] <- 1
  w[ab[2]] <- -1
  ct <- svycontrast(b, w)
  mask <- v[[s$by]] %in% ab & !is.na(v[[var]])
  dfg <- dfree(des, mask)
  q <- qt(0.975, dfg)
  cmp[[length(cmp) + 1]] <- data.frame(
    design = dname, test = "mean_diff", var = var, by = s$by, group_a = ab[1], group_b = ab[2],
    estimate = fmt(coef(ct)[[1]]), se = fmt(SE(ct)[[1]]),
    ci_low = fmt(coef(ct)[[1]] - q * SE(ct)[[1]]), ci_high = fmt(coef(ct)[[1]] + q * SE(ct)[[1]]),
    df = dfg, statistic = NA, ndf = NA, ddf = NA, p_value = NA)
  tb <- svychisq(as.formula(paste0("~", s$tab[1], "+", s$tab[2])), des, statistic = "F")
  cmp[[length(cmp) + 1]] <- data.frame(
    design = dname, test = "chisq", var = s$tab[1], by = s$tab[2], group_a = "", group_b = "",
    estimate = NA, se = NA, ci_low = NA, ci_high = NA, df = NA,
    statistic = fmt(unname(tb$statistic)), ndf = fmt(unname(tb$parameter[1])),
    ddf = fmt(unname(tb$parameter[2])), p_value = fmt(tb$p.value))
  fit <- svyglm(as.formula(s$glm), des)
  sm <- summary(fit)$coefficients
  ci <- confint(fit)
  for (k in seq_len(nrow(sm))) {
    glm_rows[[length(glm_rows) + 1]] <- data.frame(
      design = dname, formula = s$glm, term = rownames(sm)[k], estimate = fmt(sm[k, 1]),
      se = fmt(sm[k, 2]), t = fmt(sm[k, 3]), p_value = fmt(sm[k, 4]), ci_low = fmt(ci[k, 1]),
      ci_high = fmt(ci[k, 2]), df = fit$df.residual)
  }
}
write.csv(do.call(rbind, cmp), file.path(here, "compare.csv"), row.names = FALSE)
write.csv(do.call(rbind, glm_rows), file.path(here, "glm.csv"), row.names = FALSE)
write.csv(do.call(rbind, deg), file.path(here, "degf.csv"), row.names = FALSE)

# ---- versions ----------------------------------------------------------------------------
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(here, "versions.txt"))
print(warnings())
cat("reference files written to", here, "\n")
