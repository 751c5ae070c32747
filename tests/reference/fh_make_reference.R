# Reference values for abcresearch.stats.fay_herriot (area-level Fay-Herriot model).
#
# Run from the repository root:  Rscript tests/reference/fh_make_reference.R
# Needs only base R (stats). R's sae package is not installable here, so its eblupFH() and
# mseFH() (sae 1.3, Molina & Marhuenda, GPL-2; CRAN sources cran/sae@c5904ed, files
# R/eblupFH.R and R/mseFH.R) are transcribed below, line for line for the REML and ML branches:
# the same Fisher-scoring updates, starting value median(vardir), stopping rule
# |A[k+1] - A[k]| / A[k] <= PRECISION, truncation max(A, 0) after the loop, beta and its SEs,
# the log-likelihood/AIC/BIC and the MSE g1 + g2 + 2 g3 (REML) and g1 + g2 + 2 g3 - b B^2 (ML).
# Only the formula interface is left out (X, y and vardir are passed as matrices/vectors).
#
# Added here (not in sae): the synthetic estimate x'beta with MSE A + x'(X'V^-1 X)^-1 x (ML:
# minus b) for areas without a direct estimate, which is the limit of sae's MSE as vardir grows
# without bound; R2 = 1 - A / A0 with A0 from the intercept-only model fitted the same way; and
# the Lahiri-Suntornchost adjusted R2 as emdi's model_select() computes it.
#
# Inputs (tests/reference/):
#   fh_milk.csv  sae's `milk` data (43 areas; yi = direct estimate, SD its standard error,
#                MajorArea 1-4). Re-exported from sae's data/milk.rda when the environment
#                variable SAE_MILK_RDA names that file; otherwise read as stored.
#   fh_sim.csv   written by this script (set.seed below): 40 areas, covariates x1, x2,
#                vardir D, direct estimate y (NA for 8 areas without a direct estimate), and a
#                second response y0 generated with sigma2_u = 0 (REML truncates at 0).
# Outputs (tests/reference/):
#   fh_estimates.csv     one row per case x area: eblup, mse, g1, g2, g3, gamma (kind = eblup),
#                        or synthetic estimate and mse (kind = synthetic)
#   fh_coefficients.csv  one row per case x term: beta, std_error, tvalue, pvalue
#   fh_fit.csv           one row per case: sigma2_u, unrounded A before truncation, iterations,
#                        loglike, AIC, BIC, r2, adj_r2_ls
#   fh_versions.txt      R version and the sae version transcribed
# A case is dataset x method (REML, ML) x PRECISION (1e-4 = sae's default, 1e-10).

out_dir <- "tests/reference"

# ---- sae 1.3 eblupFH (REML and ML branches), transcribed -------------------------------------
eblupFH_t <- function(y, X, vardir, method = "REML", MAXITER = 100, PRECISION = 0.0001) {
  result <- list(eblup = NA, fit = list(method = method, convergence = TRUE, iterations = 0,
                 estcoef = NA, refvar = NA, goodness = NA))
  m <- length(y)
  p <- dim(X)[2]
  Xt <- t(X)
  if (method == "ML") {
    Aest.ML <- 0
    Aest.ML[1] <- median(vardir)
    k <- 0
    diff <- PRECISION + 1
    while ((diff > PRECISION) & (k < MAXITER)) {
      k <- k + 1
      Vi <- 1 / (Aest.ML[k] + vardir)
      XtVi <- t(Vi * X)
      Q <- solve(XtVi %*% X)
      P <- diag(Vi) - t(XtVi) %*% Q %*% XtVi
      Py <- P %*% y
      s <- (-0.5) * sum(Vi) + 0.5 * (t(Py) %*% Py)
      F <- 0.5 * sum(Vi^2)
      Aest.ML[k + 1] <- Aest.ML[k] + s / F
      diff <- abs((Aest.ML[k + 1] - Aest.ML[k]) / Aest.ML[k])
    }
    A.raw <- Aest.ML[k + 1]
    A <- max(Aest.ML[k + 1], 0)
  } else {
    Aest.REML <- 0
    Aest.REML[1] <- median(vardir)
    k <- 0
    diff <- PRECISION + 1
    while ((diff > PRECISION) & (k < MAXITER)) {
      k <- k + 1
      Vi <- 1 / (Aest.REML[k] + vardir)
      XtVi <- t(Vi * X)
      Q <- solve(XtVi %*% X)
      P <- diag(Vi) - t(XtVi) %*% Q %*% XtVi
      Py <- P %*% y
      s <- (-0.5) * sum(diag(P)) + 0.5 * (t(Py) %*% Py)
      F <- 0.5 * sum(diag(P %*% P))
      Aest.REML[k + 1] <- Aest.REML[k] + s / F
      diff <- abs((Aest.REML[k + 1] - Aest.REML[k]) / Aest.REML[k])
    }
    A.raw <- Aest.REML[k + 1]
    A <- max(Aest.REML[k + 1], 0)
  }
  result$fit$iterations <- k
  if (k >= MAXITER && diff >= PRECISION) {
    result$fit$convergence <- FALSE
    return(result)
  }
  Vi <- 1 / (A + vardir)
  XtVi <- t(Vi * X)
  Q <- solve(XtVi %*% X)
  beta <- Q %*% XtVi %*% y
  std.errorbeta <- sqrt(diag(Q))
  tvalue <- beta / std.errorbeta
  pvalue <- 2 * pnorm(abs(tvalue), lower.tail = FALSE)
  Xbeta <- X %*% beta
  resid <- y - Xbeta
  loglike <- (-0.5) * (sum(log(2 * pi * (A + vardir)) + (resid^2) / (A + vardir)))
  AIC <- (-2) * loglike + 2 * (p + 1)
  BIC <- (-2) * loglike + (p + 1) * log(m)
  result$fit$estcoef <- data.frame(beta = beta, std.error = std.errorbeta, tvalue, pvalue)
  result$fit$refvar <- A
  result$fit$refvar.raw <- A.raw
  result$fit$goodness <- c(loglike = loglike, AIC = AIC, BIC = BIC)
  result$fit$Q <- Q
  result$eblup <- Xbeta + A * Vi * resid
  result
}

# ---- sae 1.3 mseFH (REML and ML branches), transcribed ---------------------------------------
mseFH_t <- function(y, X, vardir, method = "REML", MAXITER = 100, PRECISION = 0.0001) {
  result <- list(est = NA, mse = NA)
  result$est <- eblupFH_t(y, X, vardir, method, MAXITER, PRECISION)
  if (result$est$fit$convergence == FALSE) stop("The fitting method does not converge.")
  A <- result$est$fit$refvar
  m <- dim(X)[1]
  p <- dim(X)[2]
  g1d <- rep(0, m); g2d <- rep(0, m); g3d <- rep(0, m); mse2d <- rep(0, m)
  Vi <- 1 / (A + vardir)
  Bd <- vardir / (A + vardir)
  SumAD2 <- sum(Vi^2)
  XtVi <- t(Vi * X)
  Q <- solve(XtVi %*% X)
  b <- 0
  if (method == "REML") {
    VarA <- 2 / SumAD2
    for (d in 1:m) {
      g1d[d] <- vardir[d] * (1 - Bd[d])
      xd <- matrix(X[d, ], nrow = 1, ncol = p)
      g2d[d] <- (Bd[d]^2) * xd %*% Q %*% t(xd)
      g3d[d] <- (Bd[d]^2) * VarA / (A + vardir[d])
      mse2d[d] <- g1d[d] + g2d[d] + 2 * g3d[d]
    }
  } else {
    VarA <- 2 / SumAD2
    b <- (-1) * sum(diag(Q %*% (t((Vi^2) * X) %*% X))) / SumAD2
    for (d in 1:m) {
      g1d[d] <- vardir[d] * (1 - Bd[d])
      xd <- matrix(X[d, ], nrow = 1, ncol = p)
      g2d[d] <- (Bd[d]^2) * xd %*% Q %*% t(xd)
      g3d[d] <- (Bd[d]^2) * VarA / (A + vardir[d])
      mse2d[d] <- g1d[d] + g2d[d] + 2 * g3d[d] - b * (Bd[d]^2)
    }
  }
  result$mse <- mse2d
  result$g1 <- g1d; result$g2 <- g2d; result$g3 <- g3d
  result$b <- b
  result$Q <- Q
  result
}

# ---- Lahiri-Suntornchost adjusted R2, as emdi's model_select() computes it -------------------
adj_r2_ls <- function(y, X, vardir) {
  m <- nrow(X); p <- ncol(X)
  H <- X %*% solve(t(X) %*% X) %*% t(X)
  SSE <- as.numeric(t(y) %*% (diag(1, m) - H) %*% y)
  MSE <- SSE / (m - p)
  one <- matrix(1, m, 1)
  SST <- as.numeric(t(y) %*% (diag(1, m) - (1 / m) * one %*% t(one)) %*% y)
  MST <- SST / (m - 1)
  barD <- sum(vardir) / m
  hii <- diag(H)
  Dw <- sum((1 - hii) * vardir) / (m - p)
  hxbMSE <- (2 * MSE) / (1 + exp((2 * Dw) / MSE))
  hxbMST <- (2 * MST) / (1 + exp((2 * barD) / MST))
  1 - (hxbMSE / hxbMST)
}

# ---- data ------------------------------------------------------------------------------------
milk_rda <- Sys.getenv("SAE_MILK_RDA")
if (nzchar(milk_rda)) {
  load(milk_rda)
  write.csv(milk, file.path(out_dir, "fh_milk.csv"), row.names = FALSE)
}
milk <- read.csv(file.path(out_dir, "fh_milk.csv"))

set.seed(20240613)
m <- 40
sim <- data.frame(area = sprintf("A%02d", 1:m))
sim$x1 <- round(runif(m, 0, 1), 6)
sim$x2 <- round(rnorm(m, 0, 1), 6)
sim$D <- round(runif(m, 0.2, 2.0), 6)
u <- rnorm(m, 0, sqrt(0.8))
e <- rnorm(m, 0, sqrt(sim$D))
sim$y <- round(1 + 2 * sim$x1 - 0.5 * sim$x2 + u + e, 6)
sim$y0 <- round(1 + 2 * sim$x1 - 0.5 * sim$x2 + 0.85 * e, 6)  # sigma2_u = 0, errors underdispersed
sim$y[c(3, 9, 14, 20, 26, 31, 35, 40)] <- NA                # areas without a direct estimate
write.csv(sim, file.path(out_dir, "fh_sim.csv"), row.names = FALSE, na = "")

# case list: name, y, X (all areas), vardir, has-direct flag, area ids
major <- factor(milk$MajorArea)
cases <- list(
  milk = list(y = milk$yi, X = model.matrix(~ major), D = milk$SD^2,
              area = as.character(milk$SmallArea)),
  sim = list(y = sim$y, X = model.matrix(~ x1 + x2, sim), D = sim$D, area = sim$area),
  sim_zero = list(y = sim$y0, X = model.matrix(~ x1 + x2, sim), D = sim$D, area = sim$area)
)
colnames(cases$milk$X) <- c("intercept", "major2", "major3", "major4")
for (nm in c("sim", "sim_zero")) colnames(cases[[nm]]$X) <- c("intercept", "x1", "x2")

est_rows <- list(); coef_rows <- list(); fit_rows <- list()
for (nm in names(cases)) {
  cs <- cases[[nm]]
  obs <- !is.na(cs$y)
  y <- cs$y[obs]; X <- cs$X[obs, , drop = FALSE]; D <- cs$D[obs]
  for (method in c("REML", "ML")) {
    for (prec in c(1e-4, 1e-10)) {
      case <- paste(nm, method, format(prec), sep = "/")
      r <- mseFH_t(y, X, D, method = method, MAXITER = 100, PRECISION = prec)
      A <- r$est$fit$refvar
      est_rows[[length(est_rows) + 1]] <- data.frame(
        dataset = nm, method = method, precision = format(prec), area = cs$area[obs], kind = "eblup",
        estimate = as.vector(r$est$eblup), mse = r$mse, g1 = r$g1, g2 = r$g2, g3 = r$g3,
        gamma = A / (A + D))
      if (any(!obs)) {
        Xs <- cs$X[!obs, , drop = FALSE]
        syn <- as.vector(Xs %*% r$est$fit$estcoef$beta)
        g2s <- rowSums((Xs %*% r$Q) * Xs)
        est_rows[[length(est_rows) + 1]] <- data.frame(
          dataset = nm, method = method, precision = format(prec), area = cs$area[!obs],
          kind = "synthetic", estimate = syn, mse = A + g2s - r$b, g1 = A, g2 = g2s, g3 = 0,
          gamma = 0)
      }
      cf <- r$est$fit$estcoef
      coef_rows[[length(coef_rows) + 1]] <- data.frame(
        dataset = nm, method = method, precision = format(prec), term = colnames(X),
        beta = cf$beta, std_error = cf$std.error, tvalue = cf$tvalue, pvalue = cf$pvalue)
      r0 <- eblupFH_t(y, X[, 1, drop = FALSE], D, method = method, MAXITER = 100,
                      PRECISION = prec)
      A0 <- r0$fit$refvar
      cat(case, "A =", A, "raw", r$est$fit$refvar.raw, "it", r$est$fit$iterations, "A0 =", A0, "\n")
      g <- r$est$fit$goodness
      fit_rows[[length(fit_rows) + 1]] <- data.frame(
        dataset = nm, method = method, precision = format(prec), sigma2_u = A,
        sigma2_u_raw = r$est$fit$refvar.raw, iterations = r$est$fit$iterations,
        loglike = g[["loglike"]], AIC = g[["AIC"]], BIC = g[["BIC"]],
        r2 = if (!is.na(A0) && A0 > 0) 1 - A / A0 else NA, adj_r2_ls = adj_r2_ls(y, X, D))
    }
  }
}
w17 <- function(x, f) {
  d <- do.call(rbind, x)
  num <- vapply(d, is.double, logical(1))
  d[num] <- lapply(d[num], function(v) ifelse(is.na(v), "", sprintf("%.17g", v)))
  write.csv(d, file.path(out_dir, f), row.names = FALSE, quote = FALSE, na = "")
}
w17(est_rows, "fh_estimates.csv")
w17(coef_rows, "fh_coefficients.csv")
w17(fit_rows, "fh_fit.csv")
writeLines(c(R.version.string,
             "sae 1.3 (CRAN sources cran/sae@c5904ed, R/eblupFH.R and R/mseFH.R), transcribed",
             "emdi model_select() adjusted R2 (Lahiri and Suntornchost 2015), transcribed"),
           file.path(out_dir, "fh_versions.txt"))
