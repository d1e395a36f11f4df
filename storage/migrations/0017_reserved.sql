-- A placeholder so that 0020 applies in this branch: numbers 0017-0019 belong to the other
-- parts of issue 16. Drop this file when those are merged.
SELECT 1;
