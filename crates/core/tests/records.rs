//! Tandem's core records, tested as behaviour: one integration-test binary, ordered from pure
//! reads and writes to merges, sync and saved files.

mod records {
    mod support;

    mod authorship;
    mod convergence;
    mod creating_and_loading;
    mod editing_and_merging;
    mod fixtures;
    mod goal_edits;
    mod observation_edits;
    mod private_notes;
    mod program_edits;
    mod restoring;
    mod sample_data;
    mod sharing;
    mod stage_record;
    mod stages;
    mod tagged_feedback;
    mod validation;
}
