SELECT 'CQS.3.2'::indicator_code;
