// Imported before ink so its colour support is decided with colours on: the tests read
// reverse video (the selection, the highlighted bytes) from the frames.
process.env['FORCE_COLOR'] = '1';
