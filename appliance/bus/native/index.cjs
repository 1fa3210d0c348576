'use strict';
// A literal require, so pkg sees the addon and embeds it in dist/alliance.
module.exports = require('./build/Release/alliance_nng.node');
