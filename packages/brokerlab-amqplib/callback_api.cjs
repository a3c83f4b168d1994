// amqplib's callback API (`require("amqplib/callback_api")`) as brokerlab's facade.
module.exports = require("brokerlab/amqplib/callback_api");
