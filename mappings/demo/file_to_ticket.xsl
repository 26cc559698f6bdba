<?xml version="1.0" encoding="UTF-8"?>
<!--
  Demo mapping: a file.received body (a text file dropped into the demo inbox) becomes a
  ticket.created body, so a note left in the inbox shows up as a resident request.

  Parameters (strings):
    channel  ticket channel, default "file"
    topic    ticket topic, default "Файл <fileName>"
  Output validates as ticket.created (root c:ticketCreated).
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:zhkh-hub:canonical:1"
                exclude-result-prefixes="c">
  <xsl:output method="xml" encoding="UTF-8" indent="no"/>

  <xsl:param name="channel" select="'file'"/>
  <xsl:param name="topic" select="''"/>

  <xsl:template match="/c:fileReceived">
    <c:ticketCreated>
      <c:channel><xsl:value-of select="$channel"/></c:channel>
      <c:topic>
        <xsl:choose>
          <xsl:when test="string-length($topic) &gt; 0"><xsl:value-of select="$topic"/></xsl:when>
          <xsl:otherwise>Файл <xsl:value-of select="c:fileName"/></xsl:otherwise>
        </xsl:choose>
      </c:topic>
      <c:text>
        <xsl:choose>
          <xsl:when test="normalize-space(c:content) != ''"><xsl:value-of select="c:content"/></xsl:when>
          <xsl:otherwise>Получен файл <xsl:value-of select="c:fileName"/> (<xsl:value-of select="c:size"/> байт, sha256 <xsl:value-of select="c:sha256"/>) из <xsl:value-of select="c:source"/></xsl:otherwise>
        </xsl:choose>
      </c:text>
      <c:externalId><xsl:value-of select="concat(c:source, ':', c:sha256)"/></c:externalId>
    </c:ticketCreated>
  </xsl:template>

  <!-- Anything else is not this mapping's input: stop rather than emit a wrong document. -->
  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">file_to_ticket.xsl expects c:fileReceived, got <xsl:value-of select="name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
