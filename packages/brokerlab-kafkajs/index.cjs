// kafkajs (`require("kafkajs")`) as brokerlab's facade.
module.exports = require("brokerlab/kafkajs");
