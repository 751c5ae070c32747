# Reference values from R's survey package for two-stage designs and statistics edge cases
# (tests/test_stats_multistage.py, tests/test_stats_edge_cases.py).
#
# Run from the project root:  Rscript tests/reference/make_multistage_reference.R
# Inputs : survey's apiclus2 (exported here to tests/reference/data/apiclus2.csv) and
#          tests/reference/data/rollout.csv (made by tests/reference/make_rollout.py), plus
#          apiclus1/apistrat/households.csv of make_reference.R for the edge cases.
# Outputs: tests/reference/multistage_*.csv, edge_cases.csv, multistage_versions.txt
#          (see README.md). Numbers are written with 17 significant digits.
#
# Two-stage designs (R's recursive multistage variance, svyrecvar):
#   clus2      svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
#              (weights from the fpc: N1/n1 x N2/n2)
#   roll       svydesign(ids = ~village_code + hh_key, strata = ~amphoe_code,
#                        fpc = ~N1 + N2, weights = ~weight, nest = TRUE, data = rollout)
#              (amphoe 8103: every village taken, stage-1 fpc factor 0, variance from stage 2;
#               one village a census of its households)
#   roll_uc    the same without fpc: ultimate cluster (stage 1 only)
#   roll_l1_<rule>  strata ~amphoe_l, fpc ~N1_l + N2: a lonely PSU at stage 1
#   roll_l2_<rule>  rows keep_l2 == 1: a village with one sampled household (lonely at stage 2)
#   for rule in adjust, average, remove, certainty; survey.adjust.domain.lonely = FALSE.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

here <- "tests/reference"
data(api)
fmt <- function(x) if (is.numeric(x)) trimws(formatC(x, digits = 17, format = "g")) else x
write_exact <- function(d, path) {
  d[] <- lapply(d, function(x) if (is.double(x)) trimws(formatC(x, digits = 17, format = "g"))
                                 else x)
  write.csv(d, path, row.names = FALSE)
}
keep <- c("cds", "stype", "dnum", "snum", "pw", "fpc1", "fpc2", "api00", "api99", "enroll",
          "acs.k3", "sch.wide", "awards", "meals", "ell", "both")
a2 <- apiclus2[, keep]
names(a2) <- gsub(".", "_", names(a2), fixed = TRUE)
for (v in c("stype", "sch_wide", "awards", "both")) a2[[v]] <- as.character(a2[[v]])
a2$sch_wide01 <- as.numeric(a2$sch_wide == "Yes")
write_exact(a2, file.path(here, "data", "apiclus2.csv"))

ro <- read.csv(file.path(here, "data", "rollout.csv"),
               colClasses = c(amphoe_code = "character", tambon_code = "character",
                              village_code = "character", hh_key = "character",
                              amphoe_l = "character"))

designs <- list(
  clus2 = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = a2),
  roll = svydesign(ids = ~village_code + hh_key, strata = ~amphoe_code, fpc = ~N1 + N2,
                   weights = ~weight, nest = TRUE, data = ro),
  roll_uc = svydesign(ids = ~village_code, strata = ~amphoe_code, weights = ~weight,
                      nest = TRUE, data = ro)
)
rules <- c("adjust", "average", "remove", "certainty")
for (rule in rules) {
  designs[[paste0("roll_l1_", rule)]] <- svydesign(ids = ~village_code + hh_key,
    strata = ~amphoe_l, fpc = ~N1_l + N2, weights = ~weight, nest = TRUE, data = ro)
  designs[[paste0("roll_l2_", rule)]] <- svydesign(ids = ~village_code + hh_key,
    strata = ~amphoe_code, fpc = ~N1 + N2, weights = ~weight, nest = TRUE,
    data = ro[ro$keep_l2 == 1, ])
}
rule_of <- function(name) {
  r <- sub("^roll_l[12]_", "", name)
  if (r %in% rules) r else "fail"
}
spec <- list(
  api = list(num = c("api00", "enroll", "meals"), by = "stype", cat = "awards",
             bin = "sch_wide01", ratio = c("api00", "api99"), q = "api00", qna = "acs_k3",
             tab = c("sch_wide", "stype"), glm = "api00 ~ ell + meals", diff = c("E", "H"),
             vc = c("api00", "enroll")),
  roll = list(num = c("human", "physical", "fin_income_year"), by = "tambon_code",
              cat = "overall_level", bin = "level1", ratio = c("fin_income_year", "hh_size"),
              q = "fin_income_year", qna = "physical", tab = c("overall_level", "amphoe_code"),
              glm = "human ~ hh_size + social", diff = c("810101", "810102"),
              vc = c("human", "fin_income_year"))
)
spec_of <- function(name) if (grepl("^clus2", name)) spec$api else spec$roll

out <- list()
add <- function(...) out[[length(out) + 1]] <<- data.frame(..., stringsAsFactors = FALSE)
dfree <- function(des, mask) degf(des[mask, ])
try_add <- function(expr) tryCatch(expr, error = function(e) NULL)

for (dname in names(designs)) {
  options(survey.lonely.psu = rule_of(dname)); message(dname)
  des <- designs[[dname]]
  s <- spec_of(dname)
  v <- des$variables
  groups <- sort(unique(v[[s$by]]))
  for (na_rm in c(FALSE, TRUE)) {
    for (var in s$num) {
      f <- as.formula(paste0("~", var))
      ok <- !is.na(v[[var]])
      m <- svymean(f, des, na.rm = na_rm, deff = TRUE)
      t <- svytotal(f, des, na.rm = na_rm, deff = TRUE)
      df0 <- dfree(des, ok)
      for (est in list(list("mean", m), list("total", t))) {
        e <- est[[2]]
        add(design = dname, estimator = est[[1]], var = var, by = "", group = "",
            category = "", q = NA, na_rm = na_rm, estimate = coef(e)[[1]], se = SE(e)[[1]],
            ci_low = confint(e, df = df0)[1, 1], ci_high = confint(e, df = df0)[1, 2],
            df = df0, n = sum(ok), n_missing = sum(!ok), deff = deff(e)[[1]])
      }
      # domains as svyby does it, one subset design per group (svyby(deff = TRUE,
      # na.rm = TRUE) fails in survey 4.1-1 on a domain holding a single household)
      for (stat in c("mean", "total")) {
        fun <- if (stat == "mean") svymean else svytotal
        for (g in groups) {
          dg <- des[v[[s$by]] == g, ]
          e <- tryCatch(fun(f, dg, na.rm = na_rm, deff = TRUE), error = function(err) NULL)
          de <- if (is.null(e)) NA else deff(e)[[1]]
          if (is.null(e)) e <- fun(f, dg, na.rm = na_rm)
          mask <- v[[s$by]] == g & ok
          dfg <- dfree(des, mask)
          est <- coef(e)[[1]]
          se <- SE(e)[[1]]
          q <- qt(0.975, dfg)
          add(design = dname, estimator = stat, var = var, by = s$by, group = g,
              category = "", q = NA, na_rm = na_rm, estimate = est, se = se,
              ci_low = est - q * se, ci_high = est + q * se, df = dfg, n = sum(mask),
              n_missing = sum(v[[s$by]] == g & !ok), deff = de)
        }
      }
    }
    rv <- s$ratio
    okr <- !is.na(v[[rv[1]]]) & !is.na(v[[rv[2]]])
    fr <- list(as.formula(paste0("~", rv[1])), as.formula(paste0("~", rv[2])))
    for (g in c("", groups)) {
      mask <- if (g == "") rep(TRUE, nrow(v)) else v[[s$by]] == g
      r <- svyratio(fr[[1]], fr[[2]], des[mask, ], na.rm = na_rm)
      dfg <- dfree(des, mask & okr)
      add(design = dname, estimator = "ratio", var = paste(rv, collapse = "/"),
          by = if (g == "") "" else s$by, group = g, category = "", q = NA, na_rm = na_rm,
          estimate = coef(r)[[1]], se = SE(r)[[1]], ci_low = confint(r, df = dfg)[1, 1],
          ci_high = confint(r, df = dfg)[1, 2], df = dfg, n = sum(mask & okr),
          n_missing = sum(mask & !okr), deff = NA)
    }
    cv <- s$cat
    okc <- !is.na(v[[cv]])
    lv <- sort(unique(v[[cv]][okc]))
    # explicit levels: a domain may lack a category (its share is then 0 with SE 0)
    fcat <- as.formula(paste0("~factor(", cv, ", levels = ", paste(deparse(lv), collapse = ""),
                              ")"))
    for (g in c("", groups)) {
      mask <- if (g == "") rep(TRUE, nrow(v)) else v[[s$by]] == g
      p <- svymean(fcat, des[mask, ], na.rm = na_rm)
      dfg <- dfree(des, mask & okc)
      ci <- confint(p, df = dfg)
      levs <- as.character(lv)
      for (k in seq_along(levs)) {
        add(design = dname, estimator = "proportion", var = cv,
            by = if (g == "") "" else s$by, group = g, category = levs[k], q = NA,
            na_rm = na_rm, estimate = coef(p)[[k]], se = SE(p)[[k]], ci_low = ci[k, 1],
            ci_high = ci[k, 2], df = dfg, n = sum(mask & okc), n_missing = sum(mask & !okc),
            deff = NA)
      }
    }
    bv <- s$bin
    okb <- !is.na(v[[bv]])
    for (g in c("", groups)) {
      mask <- if (g == "") rep(TRUE, nrow(v)) else v[[s$by]] == g
      dfg <- dfree(des, mask & okb)
      if (!na_rm && any(is.na(v[[bv]][mask]))) next
      cp <- try_add(suppressWarnings(svyciprop(as.formula(paste0("~", bv)), des[mask, ],
                                               method = "logit", na.rm = na_rm, df = dfg)))
      if (is.null(cp)) next
      ci <- attr(cp, "ci")
      add(design = dname, estimator = "ciprop", var = bv, by = if (g == "") "" else s$by,
          group = g, category = "", q = NA, na_rm = na_rm, estimate = coef(cp)[[1]],
          se = SE(cp)[[1]], ci_low = ci[[1]], ci_high = ci[[2]], df = dfg,
          n = sum(mask & okb), n_missing = sum(mask & !okb), deff = NA)
    }
    qv <- if (na_rm) s$qna else s$q
    okq <- !is.na(v[[qv]])
    if (!na_rm && !all(okq)) next
    for (g in c("", groups)) {
      mask <- if (g == "") rep(TRUE, nrow(v)) else v[[s$by]] == g
      if (sum(mask & okq) < 2) next
      sq <- try_add(svyquantile(as.formula(paste0("~", qv)), des[mask, ], c(0.25, 0.5, 0.9),
                                na.rm = na_rm))
      if (is.null(sq)) next
      mat <- sq[[qv]]
      dfg <- dfree(des, mask & okq)
      for (k in 1:3) {
        add(design = dname, estimator = "quantile", var = qv,
            by = if (g == "") "" else s$by, group = g, category = "",
            q = c(0.25, 0.5, 0.9)[k], na_rm = na_rm, estimate = mat[k, 1], se = mat[k, 4],
            ci_low = mat[k, 2], ci_high = mat[k, 3], df = dfg, n = sum(mask & okq),
            n_missing = sum(mask & !okq), deff = NA)
      }
    }
  }
}
est <- do.call(rbind, out)
est[] <- lapply(est, fmt)
write.csv(est, file.path(here, "multistage_estimates.csv"), row.names = FALSE)

# ---- total_vcov, degf, mean difference, Rao-Scott F, svyglm --------------------------------
vc <- list(); cmp <- list(); glm_rows <- list(); deg <- list()
for (dname in names(designs)) {
  options(survey.lonely.psu = rule_of(dname)); message(dname)
  des <- designs[[dname]]
  s <- spec_of(dname)
  v <- des$variables
  f2 <- as.formula(paste0("~", paste(s$vc, collapse = "+")))
  g1 <- sort(unique(v[[s$by]]))[1]
  V <- vcov(svytotal(f2, des, na.rm = TRUE))
  Vd <- vcov(svytotal(f2, des[v[[s$by]] == g1, ], na.rm = TRUE))
  for (i in 1:2) for (j in 1:2) {
    vc[[length(vc) + 1]] <- data.frame(design = dname, domain = "", col_i = s$vc[i],
                                       col_j = s$vc[j], value = fmt(V[i, j]))
    vc[[length(vc) + 1]] <- data.frame(design = dname, domain = g1, col_i = s$vc[i],
                                       col_j = s$vc[j], value = fmt(Vd[i, j]))
  }
  deg[[length(deg) + 1]] <- data.frame(design = dname, degf = degf(des), n = nrow(des))
  var <- s$num[1]
  ab <- s$diff
  des_ok <- des[!is.na(v[[var]]), ]
  b <- svyby(as.formula(paste0("~", var)), as.formula(paste0("~", s$by)), des_ok, svymean,
             covmat = TRUE)
  w <- setNames(rep(0, nrow(b)), rownames(b))
  w[ab[1]] <- 1
  w[ab[2]] <- -1
  ct <- try_add(svycontrast(b, w))  # fails when the variance is NaN (average rule, stage 2)
  mask <- v[[s$by]] %in% ab & !is.na(v[[var]])
  dfg <- dfree(des, mask)
  q <- qt(0.975, dfg)
  if (!is.null(ct)) cmp[[length(cmp) + 1]] <- data.frame(
    design = dname, test = "mean_diff", var = var, by = s$by, group_a = ab[1],
    group_b = ab[2], estimate = fmt(coef(ct)[[1]]), se = fmt(SE(ct)[[1]]),
    ci_low = fmt(coef(ct)[[1]] - q * SE(ct)[[1]]),
    ci_high = fmt(coef(ct)[[1]] + q * SE(ct)[[1]]), df = dfg, statistic = NA, ndf = NA,
    ddf = NA, p_value = NA, pearson = NA)
  ftab <- as.formula(paste0("~", s$tab[1], "+", s$tab[2]))
  tb <- svychisq(ftab, des, statistic = "F")
  px <- svychisq(ftab, des, statistic = "Chisq")
  cmp[[length(cmp) + 1]] <- data.frame(
    design = dname, test = "chisq", var = s$tab[1], by = s$tab[2], group_a = "",
    group_b = "", estimate = NA, se = NA, ci_low = NA, ci_high = NA, df = NA,
    statistic = fmt(unname(tb$statistic)), ndf = fmt(unname(tb$parameter[1])),
    ddf = fmt(unname(tb$parameter[2])), p_value = fmt(tb$p.value),
    pearson = fmt(unname(px$statistic)))
  fit <- svyglm(as.formula(s$glm), des)
  sm <- summary(fit)$coefficients
  ci <- confint(fit)
  for (k in seq_len(nrow(sm))) {
    glm_rows[[length(glm_rows) + 1]] <- data.frame(
      design = dname, formula = s$glm, term = rownames(sm)[k], estimate = fmt(sm[k, 1]),
      se = fmt(sm[k, 2]), t = fmt(sm[k, 3]), p_value = fmt(sm[k, 4]),
      ci_low = fmt(ci[k, 1]), ci_high = fmt(ci[k, 2]), df = fit$df.residual)
  }
}
write.csv(do.call(rbind, vc), file.path(here, "multistage_vcov.csv"), row.names = FALSE)
write.csv(do.call(rbind, cmp), file.path(here, "multistage_compare.csv"), row.names = FALSE)
write.csv(do.call(rbind, glm_rows), file.path(here, "multistage_glm.csv"), row.names = FALSE)
write.csv(do.call(rbind, deg), file.path(here, "multistage_degf.csv"), row.names = FALSE)

# ---- Alkire-Foster on the two-stage rollout design (method of make_af_reference.R) ---------
options(survey.lonely.psu = "fail")
caps <- c("human", "physical", "financial", "social", "cultural", "wisdom", "natural")
wts <- setNames(rep(1 / 7, 7), caps)
k <- 1 / 3
dep <- paste0("dep_", caps)
ro$complete <- complete.cases(ro[, dep])
ro$c <- as.vector(as.matrix(ro[, dep]) %*% wts)
ro$poor <- as.numeric(!is.na(ro$c) & ro$c >= k - 1e-9)
ro$ck <- ifelse(is.na(ro$c), NA, ro$c * ro$poor)
for (j in caps) {
  ro[[paste0("gk_", j)]] <- ro[[paste0("dep_", j)]] * ro$poor
  ro[[paste0("wgk_", j)]] <- wts[[j]] * ro[[paste0("dep_", j)]] * ro$poor
}
droll <- svydesign(ids = ~village_code + hh_key, strata = ~amphoe_code, fpc = ~N1 + N2,
                   weights = ~weight, nest = TRUE, data = ro)
dcc <- droll[ro$complete, ]
af <- list()
add_af <- function(measure, group, indicator, est, se, lo, hi, df)
  af[[length(af) + 1]] <<- data.frame(measure = measure, group = group, indicator = indicator,
    estimate = fmt(est), se = fmt(se), ci_low = fmt(lo), ci_high = fmt(hi), df = df)
ciprop_af <- function(measure, group, indicator, var, design) {
  r <- suppressWarnings(svyciprop(as.formula(paste0("~", var)), design, method = "logit"))
  ci <- confint(r)
  add_af(measure, group, indicator, as.numeric(r), as.numeric(SE(r)), ci[1], ci[2],
         degf(design))
}
for (g in c("all", sort(unique(ro$tambon_code)))) {
  dg <- if (g == "all") dcc else dcc[dcc$variables$tambon_code == g, ]
  ciprop_af("H", g, "", "poor", dg)
  ciprop_af("M0", g, "", "ck", dg)
  if (sum(dg$variables$poor) > 0) {
    ra <- svyratio(~ck, ~poor, dg)
    dp <- dg[dg$variables$poor == 1, ]
    ca <- suppressWarnings(svyciprop(~ck, dp, method = "logit"))
    cia <- confint(ca)
    add_af("A", g, "", as.numeric(coef(ra)), as.numeric(SE(ra)), cia[1], cia[2], degf(dp))
  }
  for (j in caps) {
    ciprop_af("hd", g, paste0("dep_", j), paste0("dep_", j), dg)
    ciprop_af("hdk", g, paste0("dep_", j), paste0("gk_", j), dg)
  }
}
write.csv(do.call(rbind, af), file.path(here, "multistage_af.csv"), row.names = FALSE)

# ---- edge cases --------------------------------------------------------------------------
edge <- list()
add_edge <- function(...) edge[[length(edge) + 1]] <<- data.frame(..., stringsAsFactors = FALSE)
a1 <- read.csv(file.path(here, "data", "apiclus1.csv"), stringsAsFactors = FALSE)
a1$zero <- 0
a1$one <- 1
a1$high <- as.numeric(a1$stype == "H")
d1 <- svydesign(ids = ~dnum, weights = ~pw, data = a1)
for (var in c("zero", "one", "high")) {
  for (g in c("", "E", "H")) {
    dg <- if (g == "") d1 else d1[a1$stype == g, ]
    cp <- suppressWarnings(svyciprop(as.formula(paste0("~", var)), dg, method = "logit"))
    ci <- attr(cp, "ci")
    add_edge(case = "ciprop", design = "clus1", var = var, by = if (g == "") "" else "stype",
             group = g, estimate = fmt(coef(cp)[[1]]), se = fmt(SE(cp)[[1]]),
             ci_low = fmt(ci[[1]]), ci_high = fmt(ci[[2]]), df = degf(dg), statistic = NA,
             ndf = NA, ddf = NA, p_value = NA, pearson = NA)
  }
}
ast <- read.csv(file.path(here, "data", "apistrat.csv"), stringsAsFactors = FALSE)
dst <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = ast)
hh <- read.csv(file.path(here, "data", "households.csv"),
               colClasses = c(tambon = "character", village = "character",
                              tambon_l = "character", hh_id = "character"))
dhh <- svydesign(ids = ~village, strata = ~tambon, weights = ~weight, data = hh)
subsets <- list(
  list("strat", dst, ast$stype != "E", "sch_wide", "awards", "stype != E"),
  list("clus1", d1, a1$stype == "E", "sch_wide", "awards", "stype == E"),
  list("hh", dhh, hh$round == 2560, "level", "tambon", "round == 2560")
)
for (sp in subsets) {
  ds <- sp[[2]][sp[[3]], ]
  f <- as.formula(paste0("~", sp[[4]], "+", sp[[5]]))
  tb <- svychisq(f, ds, statistic = "F")
  px <- svychisq(f, ds, statistic = "Chisq")
  add_edge(case = "chisq_subset", design = sp[[1]], var = sp[[4]], by = sp[[5]],
           group = sp[[6]], estimate = NA, se = NA, ci_low = NA, ci_high = NA,
           df = degf(ds), statistic = fmt(unname(tb$statistic)),
           ndf = fmt(unname(tb$parameter[1])), ddf = fmt(unname(tb$parameter[2])),
           p_value = fmt(tb$p.value), pearson = fmt(unname(px$statistic)))
}
write.csv(do.call(rbind, edge), file.path(here, "edge_cases.csv"), row.names = FALSE)

writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(here, "multistage_versions.txt"))
print(warnings())
cat("multistage reference files written to", here, "\n")
