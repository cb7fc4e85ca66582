-- dti 0.7.0 -> 0.8.0
\echo Use "ALTER EXTENSION dti UPDATE TO '0.8.0'" to load this file. \quit

-- Binary forms of framework and scorecard: version 2, the nodes in network
-- byte order, encoded and decoded by the server-free core (the C library of
-- 0.8.0); version 1, the text form behind a version byte, is still read.
COMMENT ON FUNCTION framework_recv(internal) IS 'Binary input of framework: version 2 (the nodes in network byte order) or 1 (the text form), compiled and checked like text input';
COMMENT ON FUNCTION framework_send(framework) IS 'Binary output of framework: version byte 2, then the nodes in preorder in network byte order';
COMMENT ON FUNCTION scorecard_recv(internal) IS 'Binary input of scorecard: version 2 (the nodes in network byte order) or 1 (the text form), checked like text input';
COMMENT ON FUNCTION scorecard_send(scorecard) IS 'Binary output of scorecard: version byte 2, then the nodes in preorder in network byte order';
