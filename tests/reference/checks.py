"""What is compared, mart by mart, and to which tolerance. Floats: relative 1e-9 unless stated (the
same arithmetic in another order); the flow model: relative 1e-6 (closed-form normal equations on
population moments in SQL vs a least-squares solve here, on flows of ~1e8); tail probabilities:
relative 1e-7 (the SQL normal tail is Hart's approximation, relative error < 1e-8)."""
from tests.reference.compare import Check


def same(*columns: str) -> dict[str, str]:
    return {c: c for c in columns}


CHECKS = [
    Check("fct_daily_snapshot_4pm_et", ("trade_date",), {
        **same("snapshot_utc", "nyse_close_utc", "is_nyse_early_close", "btc_usd_4pm", "btc_usd_4pm_age_minutes",
               "btc_return", "btc_usd_nyse_close", "btc_usd_nyse_close_age_minutes", "btc_return_nyse_close",
               "ibit_close", "ibit_return", "ibit_volume_shares", "ibit_dollar_volume", "ibit_flow_usd",
               "total_etf_flow_usd", "etf_funds_reporting", "ibit_put_contracts", "ibit_call_contracts",
               "ibit_put_call_ratio", "cme_front_contract", "cme_front_days_to_expiry", "cme_front_settle",
               "cme_front_basis_annualized", "cme_front_is_rolled_series", "cme_front_is_null_short_dated",
               "cme_open_interest", "cme_open_interest_btc", "cme_open_interest_is_end_of_day",
               "binance_open_interest_usd", "binance_open_interest_btc", "binance_open_interest_age_minutes",
               "binance_funding_rate", "binance_funding_observed_at_utc", "binance_funding_age_minutes",
               "binance_funding_rate_24h_sum", "dvol", "dvol_observed_at_utc", "dvol_age_minutes",
               "corr_20d_igv", "corr_20d_gld", "corr_20d_qqq", "ibit_return_z_60d"),
    }),
    Check("fct_daily_snapshot_4pm_et", ("trade_date",), same("ibit_return_z_60d_tail_prob"), rtol=1e-7, atol=1e-15),
    Check("fct_etf_flows", ("trade_date", "ticker"), {
        **same("flow_usd", "shares_created", "flow_from_shares_usd", "flow_gap_usd", "fund_return",
               "fund_return_previous_day", "dollar_volume_usd", "funds_reporting", "funds_modelled",
               "funds_with_share_data", "model_observations", "modelled_share_of_gross_flow", "modelled_flow_usd"),
        "nav_usd_per_share": "nav_usd_per_share",
    }),
    Check("fct_etf_flows", ("trade_date", "ticker"),
          same("expected_flow_usd", "flow_surprise_usd", "model_intercept_usd"), rtol=1e-6, atol=1.0),
    Check("fct_etf_flows", ("trade_date", "ticker"),
          same("model_usd_per_return", "model_usd_per_previous_day_return"), rtol=1e-6, atol=1e-3),
    Check("fct_cme_basis_by_contract", ("trade_date", "contract"), same(
        "expiry_date", "final_settlement_utc", "days_to_expiry", "settle_usd_per_btc", "btc_usd_4pm", "basis_total",
        "basis_annualized", "is_expired", "is_short_dated", "is_rolled_series", "open_interest_contracts")),
    Check("fct_cme_basis", ("trade_date",), {
        "contract_near": "contract", "days_to_expiry": "days_to_expiry", "basis_total": "basis_total",
        "basis_annualized": "basis_annualized", "is_rolled_series": "is_rolled_series",
        "only_short_dated_prices": "only_short_dated_prices"}, reference="fct_cme_basis_front", where="tenor = 'front'"),
    Check("fct_cme_basis", ("trade_date", "tenor_days"), same(
        "basis_total", "basis_annualized", "contract_near", "contract_far", "is_extrapolated"),
        reference="fct_cme_basis_tenors", where="tenor <> 'front'"),
    Check("fct_open_interest_4pm_et", ("trade_date", "venue"), same(
        "open_interest_btc", "open_interest_usd", "age_minutes", "is_stale", "is_end_of_day", "is_carried_forward",
        "open_interest_change_btc", "open_interest_change_pct_btc", "open_interest_change_pct_usd",
        "share_of_total_usd", "share_mixes_instants")),
    Check("fct_options_activity", ("trade_date",), same(
        "ibit_put_contracts", "ibit_call_contracts", "total_contracts", "put_call_ratio", "is_record_total",
        "is_record_puts", "volume_z_60d")),
    Check("fct_cross_asset", ("trade_date", "peer"), same("ibit_return", "peer_return", "corr_20d", "corr_60d")),
    Check("fct_signals", ("trade_date",), same(
        "total_etf_flow_usd", "cme_front_basis_change", "binance_oi_change_1d", "cme_oi_change_1d",
        "binance_oi_change_2d", "cme_oi_change_2d", "previous_record_ibit_dollar_volume",
        "is_record_ibit_dollar_volume", "corr_change_z_igv", "corr_change_z_gld", "inflow_without_basis_expansion",
        "oi_collapse_one_venue", "oi_collapse_venue", "record_volume_with_net_creation", "correlation_regime_shift")),
    Check("fct_dealer_gamma", ("snapshot_utc", "strike"), same("gex_usd_per_1pct"),
          reference="fct_dealer_gamma_by_strike", rtol=1e-9, atol=1e-3, query="""
          select snapshot_utc, strike_usd as strike, sum(gex_usd_per_1pct) as gex_usd_per_1pct
          from marts.fct_dealer_gamma where underlying = 'BTC' group by all"""),
]
