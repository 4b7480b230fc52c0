# Generated from src/community_scaling/pipeline.py by `make pipeline`: edit that file, not this one.
DEFAULT_STUDIES := census llm_multilingual pythia_crows_pairs bloom_flores opt_mmlu popquorn epic
ALL_NOTEBOOKS := 01_ingest 02_communities 03_sweep 04_scaling_fits 05_metrics 06_values 07_cost 08_claims 21_published_results 22_model_size 23_grid_results 24_token_scaling 31_rater_labels 32_agreement 33_rater_curves 41_curve_database 42_curve_claims
NOTEBOOKS_sweep := 01_ingest 02_communities 03_sweep 04_scaling_fits 05_metrics 06_values 07_cost 08_claims
NOTEBOOKS_published_results := 21_published_results 22_model_size 08_claims
NOTEBOOKS_published_grid := 23_grid_results 24_token_scaling 08_claims
NOTEBOOKS_rater_labels := 31_rater_labels 32_agreement 33_rater_curves 08_claims
NOTEBOOKS_curve_database := 41_curve_database 42_curve_claims 08_claims

ifeq ($(KIND),sweep)
$(NB)/01_ingest.ipynb $(PROCESSED)/test.parquet $(RESULTS)/datasheet.parquet &: \
  notebooks/01_ingest.ipynb $(call section,data evaluation) $(SRC) $(INPUT_STAMP)
	$(papermill)

$(NB)/02_communities.ipynb $(RESULTS)/claims_02_communities.parquet &: \
  notebooks/02_communities.ipynb $(call section,data evaluation sweep figures) $(SRC) $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/03_sweep.ipynb $(RESULTS)/units.parquet $(RESULTS)/evaluations.parquet $(RESULTS)/representation.parquet $(RESULTS)/capacity_units.parquet &: \
  notebooks/03_sweep.ipynb $(call section,data evaluation sweep representation) $(SRC) $(PROCESSED)/test.parquet $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/04_scaling_fits.ipynb $(RESULTS)/claims_04_scaling_fits.parquet $(RESULTS)/trends.parquet &: \
  notebooks/04_scaling_fits.ipynb $(call section,evaluation fits figures) $(SRC) $(RESULTS)/evaluations.parquet $(RESULTS)/units.parquet $(PROCESSED)/test.parquet $(RESULTS)/representation.parquet $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/05_metrics.ipynb $(RESULTS)/claims_05_metrics.parquet &: \
  notebooks/05_metrics.ipynb $(call section,metrics evaluation figures) $(SRC) $(RESULTS)/evaluations.parquet $(RESULTS)/units.parquet $(PROCESSED)/test.parquet $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/06_values.ipynb $(RESULTS)/claims_06_values.parquet &: \
  notebooks/06_values.ipynb $(call section,values figures) $(SRC) $(RESULTS)/units.parquet $(PROCESSED)/test.parquet $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/07_cost.ipynb $(RESULTS)/claims_07_cost.parquet &: \
  notebooks/07_cost.ipynb $(call section,evaluation cost figures) $(SRC) $(RESULTS)/units.parquet $(RESULTS)/evaluations.parquet $(RESULTS)/capacity_units.parquet $(PROCESSED)/test.parquet $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/08_claims.ipynb $(RESULTS)/ledger.parquet &: \
  notebooks/08_claims.ipynb $(call section,study figures) $(SRC) $(RESULTS)/claims_02_communities.parquet $(RESULTS)/claims_04_scaling_fits.parquet $(RESULTS)/claims_05_metrics.parquet $(RESULTS)/claims_06_values.parquet $(RESULTS)/claims_07_cost.parquet
	$(papermill)
endif

ifeq ($(KIND),published_results)
$(NB)/21_published_results.ipynb $(RESULTS)/evaluations.parquet $(RESULTS)/compute.parquet $(RESULTS)/datasheet.parquet &: \
  notebooks/21_published_results.ipynb $(call section,published figures) $(SRC) $(INPUT_STAMP)
	$(papermill)

$(NB)/22_model_size.ipynb $(RESULTS)/claims_22_model_size.parquet $(RESULTS)/curvature_by_group.parquet &: \
  notebooks/22_model_size.ipynb $(call section,published fits metrics cost figures) $(SRC) $(RESULTS)/evaluations.parquet $(RESULTS)/compute.parquet $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/08_claims.ipynb $(RESULTS)/ledger.parquet &: \
  notebooks/08_claims.ipynb $(call section,study figures) $(SRC) $(RESULTS)/claims_22_model_size.parquet
	$(papermill)
endif

ifeq ($(KIND),published_grid)
$(NB)/23_grid_results.ipynb $(RESULTS)/evaluations.parquet $(RESULTS)/compute.parquet $(RESULTS)/datasheet.parquet &: \
  notebooks/23_grid_results.ipynb $(call section,published figures) $(SRC) $(INPUT_STAMP)
	$(papermill)

$(NB)/24_token_scaling.ipynb $(RESULTS)/claims_24_token_scaling.parquet &: \
  notebooks/24_token_scaling.ipynb $(call section,published fits metrics cost figures) $(SRC) $(RESULTS)/evaluations.parquet $(RESULTS)/compute.parquet $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/08_claims.ipynb $(RESULTS)/ledger.parquet &: \
  notebooks/08_claims.ipynb $(call section,study figures) $(SRC) $(RESULTS)/claims_24_token_scaling.parquet
	$(papermill)
endif

ifeq ($(KIND),rater_labels)
$(NB)/31_rater_labels.ipynb $(RESULTS)/ratings.parquet $(RESULTS)/raters.parquet $(RESULTS)/items.parquet $(RESULTS)/datasheet.parquet $(RESULTS)/claims_31_rater_labels.parquet &: \
  notebooks/31_rater_labels.ipynb $(call section,raters figures) $(SRC) $(INPUT_STAMP)
	$(papermill)

$(NB)/32_agreement.ipynb $(RESULTS)/agreement.parquet &: \
  notebooks/32_agreement.ipynb $(call section,raters figures) $(SRC) $(RESULTS)/ratings.parquet $(RESULTS)/raters.parquet $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/33_rater_curves.ipynb $(RESULTS)/evaluations.parquet $(RESULTS)/community_exponents.parquet $(RESULTS)/claims_33_rater_curves.parquet &: \
  notebooks/33_rater_curves.ipynb $(call section,raters fits figures) $(SRC) $(RESULTS)/ratings.parquet $(RESULTS)/raters.parquet $(RESULTS)/items.parquet $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/08_claims.ipynb $(RESULTS)/ledger.parquet &: \
  notebooks/08_claims.ipynb $(call section,study figures) $(SRC) $(RESULTS)/claims_31_rater_labels.parquet $(RESULTS)/claims_33_rater_curves.parquet
	$(papermill)
endif

ifeq ($(KIND),curve_database)
$(NB)/41_curve_database.ipynb $(RESULTS)/curves.parquet $(RESULTS)/datasets.parquet $(RESULTS)/datasheet.parquet &: \
  notebooks/41_curve_database.ipynb $(call section,curves figures) $(SRC) $(INPUT_STAMP)
	$(papermill)

$(NB)/42_curve_claims.ipynb $(RESULTS)/curve_margins.parquet $(RESULTS)/curve_trends.parquet $(RESULTS)/curve_curvatures.parquet $(RESULTS)/curve_served.parquet $(RESULTS)/claims_42_curve_claims.parquet &: \
  notebooks/42_curve_claims.ipynb $(call section,curves fits metrics cost figures) $(SRC) $(RESULTS)/curves.parquet $(RESULTS)/datasets.parquet $(RESULTS)/datasheet.parquet
	$(papermill)

$(NB)/08_claims.ipynb $(RESULTS)/ledger.parquet &: \
  notebooks/08_claims.ipynb $(call section,study figures) $(SRC) $(RESULTS)/claims_42_curve_claims.parquet
	$(papermill)
endif
